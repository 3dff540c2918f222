package io.netbuf.testkit;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The port operations of a {@link FakeHost}, with the tool a tools backend runs for each. */
final class Operations {
    /** Operation name to the executable behind it ("" when no tool is involved). */
    static final Map<String, String> TOOLS;
    /** Every operation name. */
    static final Set<String> ALL;

    static {
        Map<String, String> tools = new TreeMap<>();
        for (String m : new String[] {"find", "all", "ifbs", "createIfb", "deleteIfb", "setUp", "setIpv6AddrGenMode"}) {
            tools.put("links." + m, "ip");
        }
        for (String m : new String[] {"qdiscs", "addIngress", "deleteIngress", "addRedirect", "redirectTargets",
            "addPlug", "deleteRoot", "plug"}) {
            tools.put("trafficControl." + m, "tc");
        }
        tools.put("xenstore.read", "xenstore-read");
        tools.put("xenstore.write", "xenstore-write");
        tools.put("xenstore.mkdir", "xenstore-write");
        tools.put("xenstore.list", "xenstore-list");
        tools.put("xenstore.exists", "xenstore-exists");
        tools.put("xenstore.rm", "xenstore-rm");
        tools.put("xenstore.transaction", "");
        tools.put("xenstore.isTransactional", "");
        tools.put("lock.acquire", "");
        tools.put("features.missing", "");
        TOOLS = Map.copyOf(tools);
        ALL = Set.copyOf(tools.keySet());
    }

    /** Tools a test may take away, with the Debian package that provides each. */
    static final Map<String, String> PACKAGES = Map.of(
            "ip", "iproute2",
            "tc", "iproute2",
            "xenstore-read", "xenstore-utils",
            "xenstore-write", "xenstore-utils",
            "xenstore-list", "xenstore-utils",
            "xenstore-exists", "xenstore-utils",
            "xenstore-rm", "xenstore-utils");

    private Operations() {
    }
}
