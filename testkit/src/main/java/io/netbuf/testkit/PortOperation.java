package io.netbuf.testkit;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The port operations of a {@link FakeHost}: the one place their public names are written (what
 * {@link Faults} targets, {@link FakeHost#calls()} logs and {@link FakeHost#operations()} lists),
 * each with the tool a tools backend runs for it.
 */
enum PortOperation {
    LINKS_FIND("links.find", "ip"),
    LINKS_ALL("links.all", "ip"),
    LINKS_IFBS("links.ifbs", "ip"),
    LINKS_CREATE_IFB("links.createIfb", "ip"),
    LINKS_DELETE_IFB("links.deleteIfb", "ip"),
    LINKS_SET_UP("links.setUp", "ip"),
    LINKS_SET_IPV6_ADDR_GEN_MODE("links.setIpv6AddrGenMode", "ip"),
    TRAFFIC_CONTROL_QDISCS("trafficControl.qdiscs", "tc"),
    TRAFFIC_CONTROL_ALL_QDISCS("trafficControl.allQdiscs", "tc"),
    TRAFFIC_CONTROL_ADD_INGRESS("trafficControl.addIngress", "tc"),
    TRAFFIC_CONTROL_DELETE_INGRESS("trafficControl.deleteIngress", "tc"),
    TRAFFIC_CONTROL_ADD_REDIRECT("trafficControl.addRedirect", "tc"),
    TRAFFIC_CONTROL_REDIRECT_TARGETS("trafficControl.redirectTargets", "tc"),
    TRAFFIC_CONTROL_INGRESS_FILTERS("trafficControl.ingressFilters", "tc"),
    TRAFFIC_CONTROL_DELETE_INGRESS_FILTER("trafficControl.deleteIngressFilter", "tc"),
    TRAFFIC_CONTROL_ADD_PLUG("trafficControl.addPlug", "tc"),
    TRAFFIC_CONTROL_DELETE_ROOT("trafficControl.deleteRoot", "tc"),
    TRAFFIC_CONTROL_PLUG("trafficControl.plug", "tc"),
    XENSTORE_READ("xenstore.read", "xenstore-read"),
    XENSTORE_WRITE("xenstore.write", "xenstore-write"),
    XENSTORE_MKDIR("xenstore.mkdir", "xenstore-write"),
    XENSTORE_LIST("xenstore.list", "xenstore-list"),
    XENSTORE_EXISTS("xenstore.exists", "xenstore-exists"),
    XENSTORE_RM("xenstore.rm", "xenstore-rm"),
    XENSTORE_TRANSACTION("xenstore.transaction", ""),
    XENSTORE_IS_TRANSACTIONAL("xenstore.isTransactional", ""),
    LOCK_ACQUIRE("lock.acquire", ""),
    FEATURES_MISSING("features.missing", "");

    /** Tools a test may take away, with the Debian package that provides each. */
    static final Map<String, String> TOOL_PACKAGES = Map.of(
            "ip", "iproute2",
            "tc", "iproute2",
            "xenstore-read", "xenstore-utils",
            "xenstore-write", "xenstore-utils",
            "xenstore-list", "xenstore-utils",
            "xenstore-exists", "xenstore-utils",
            "xenstore-rm", "xenstore-utils");

    private static final Map<String, PortOperation> BY_NAME = new HashMap<>();

    static {
        for (PortOperation operation : values()) {
            BY_NAME.put(operation.publicName, operation);
        }
    }

    private final String publicName;
    private final String tool;

    PortOperation(String publicName, String tool) {
        this.publicName = publicName;
        this.tool = tool;
    }

    /** @return {@code "<port>.<method>"}, e.g. {@code "trafficControl.addPlug"} */
    String publicName() {
        return publicName;
    }

    /** @return the executable a tools backend runs for this operation, {@code ""} when none */
    String tool() {
        return tool;
    }

    /**
     * @param publicName a name such as {@code "trafficControl.addPlug"}, or null
     * @return the operation with that name, if there is one
     */
    static Optional<PortOperation> named(String publicName) {
        return Optional.ofNullable(BY_NAME.get(publicName));
    }

    /** @return every public name, sorted */
    static List<String> publicNames() {
        return BY_NAME.keySet().stream().sorted().toList();
    }
}
