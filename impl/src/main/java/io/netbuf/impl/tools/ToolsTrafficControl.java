package io.netbuf.impl.tools;

import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.Validate;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@link TrafficControl} through iproute2's {@code tc} (JSON output), optionally inside a named
 * network namespace. The plug is driven by {@code tc}'s own plug support ({@code tc qdisc add
 * ... plug limit N}, {@code tc qdisc change ... plug block|release|release_indefinite|limit N}), or,
 * with {@link PlugTool#LIBNL}, by libnl's {@code nl-qdisc-add ... plug --limit=N} and
 * {@code nl-qdisc-add --update-only ... plug --buffer|--release-one|--release-indefinite|--limit=N}
 * (through {@code ip netns exec} in a namespace). Thread-safe.
 */
public final class ToolsTrafficControl implements TrafficControl {
    /** The priority of the redirect filter, as Xen's script uses. */
    static final String FILTER_PRIO = "10";

    private final Iproute2 tools;
    private final PlugTool plugTool;
    /** The libnl plug driver, or null with {@link PlugTool#TC}. */
    private final LibnlPlug libnl;

    /**
     * @param runner runs the commands
     * @param namespace the network namespace to act in ({@code tc -n NS}), or null for this process's own
     * @param plugTool the command that drives the plug qdisc
     * @throws io.netbuf.InvalidConfigurationException if the namespace name is invalid
     */
    public ToolsTrafficControl(CommandRunner runner, String namespace, PlugTool plugTool) {
        this.tools = new Iproute2(runner, namespace);
        this.plugTool = Objects.requireNonNull(plugTool, "plugTool");
        this.libnl = plugTool == PlugTool.LIBNL ? new LibnlPlug(runner, tools) : null;
    }

    /**
     * Traffic control with the plug driven by {@code tc}.
     *
     * @param runner runs the commands
     * @param namespace the network namespace to act in ({@code tc -n NS}), or null for this process's own
     * @throws io.netbuf.InvalidConfigurationException if the namespace name is invalid
     */
    public ToolsTrafficControl(CommandRunner runner, String namespace) {
        this(runner, namespace, PlugTool.TC);
    }

    /** Traffic control of this process's own namespace, with the default command runner. */
    public ToolsTrafficControl() {
        this(new CommandRunner(), null);
    }

    /** @return the command that drives the plug qdisc */
    public PlugTool plugTool() {
        return plugTool;
    }

    @Override
    public List<Qdisc> qdiscs(String dev) {
        Validate.vif(dev);
        String operation = "list qdiscs of " + dev + tools.where();
        return qdiscs(operation, tools.tc(operation, "-j", "-s", "qdisc", "show", "dev", dev));
    }

    @Override
    public Map<String, List<Qdisc>> allQdiscs() {
        String operation = "list the qdiscs of every interface" + tools.where();
        Map<String, List<Qdisc>> out = new LinkedHashMap<>();
        for (Map<String, Object> entry : Iproute2.parseArray(operation, "tc",
                tools.tc(operation, "-j", "-s", "qdisc", "show"))) {
            String dev = IprouteJson.string(entry, "dev");
            if (dev == null) {
                throw OperationFailedException.of(operation, "tc -j printed a qdisc without dev: " + entry, null,
                        null, null);
            }
            out.computeIfAbsent(dev, d -> new ArrayList<>()).add(qdisc(operation, entry));
        }
        out.replaceAll((dev, list) -> List.copyOf(list));
        return out;
    }

    @Override
    public void addIngress(String dev) {
        Validate.vif(dev);
        tools.tc("add ingress qdisc to " + dev + tools.where(), "qdisc", "add", "dev", dev, "ingress");
    }

    @Override
    public void deleteIngress(String dev) {
        Validate.vif(dev);
        tools.tc("delete ingress qdisc of " + dev + tools.where(), "qdisc", "del", "dev", dev, "ingress");
    }

    @Override
    public void addRedirect(String vif, String ifb, Protocols protocols) {
        Validate.vif(vif);
        Validate.ifb(ifb);
        Objects.requireNonNull(protocols, "protocols");
        String protocol = protocols == Protocols.ALL ? "all" : "ip";
        tools.tc("add redirect filter " + vif + " -> " + ifb + " (" + protocols + ")" + tools.where(),
                "filter", "add", "dev", vif, "parent", "ffff:", "protocol", protocol, "prio", FILTER_PRIO,
                "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", ifb);
    }

    @Override
    public List<String> redirectTargets(String vif) {
        Validate.vif(vif);
        String operation = "list ingress filters of " + vif + tools.where();
        return redirectTargets(operation, tools.tc(operation, "-j", "filter", "show", "dev", vif, "ingress"));
    }

    @Override
    public List<IngressFilter> ingressFilters(String dev) {
        Validate.vif(dev);
        String operation = "list ingress filters of " + dev + tools.where();
        return ingressFilters(operation, tools.tc(operation, "-j", "filter", "show", "dev", dev, "ingress"));
    }

    @Override
    public void deleteIngressFilter(String dev, IngressFilter filter) {
        Validate.vif(dev);
        Objects.requireNonNull(filter, "filter");
        String operation = "delete ingress filter " + filter.kind() + " prio " + filter.prio() + " of " + dev
                + tools.where();
        List<String> argv = new ArrayList<>(List.of("filter", "del", "dev", dev, "parent", "ffff:", "protocol",
                String.format("0x%04x", filter.protocol()), "prio", Integer.toString(filter.prio()), "chain",
                Integer.toString(filter.chain())));
        if (!filter.aloneAtItsPriority(ingressFilters(dev))) {
            argv.addAll(List.of("handle", handleText(filter), filter.kind()));
        }
        tools.tc(operation, argv.toArray(String[]::new));
    }

    @Override
    public void addPlug(String ifb, long limitBytes) {
        Validate.ifb(ifb);
        Validate.limit(limitBytes);
        if (libnl != null) {
            libnl.add(ifb, limitBytes);
            return;
        }
        tools.tc("add plug qdisc to " + ifb + tools.where(), "qdisc", "add", "dev", ifb, "root", "plug", "limit",
                Long.toString(limitBytes));
    }

    @Override
    public void deleteRoot(String ifb) {
        Validate.ifb(ifb);
        tools.tc("delete root qdisc of " + ifb + tools.where(), "qdisc", "del", "dev", ifb, "root");
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        Objects.requireNonNull(action, "action");
        ifbs.forEach(Validate::ifb);
        List<String> words = plugWords(action);
        NetworkBufferException first = null;
        for (String ifb : ifbs) {
            try {
                if (libnl != null) {
                    libnl.apply(ifb, action);
                } else {
                    List<String> args = new ArrayList<>(List.of("qdisc", "change", "dev", ifb, "root", "plug"));
                    args.addAll(words);
                    tools.tc("plug " + action.label() + " on " + ifb + tools.where(), args.toArray(String[]::new));
                }
            } catch (NetworkBufferException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * @param action a plug action
     * @return the words {@code tc}'s plug parser takes for it
     */
    static List<String> plugWords(PlugAction action) {
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                return List.of("block");
            case PlugAction.RELEASE_ONE_CODE:
                return List.of("release");
            case PlugAction.RELEASE_INDEFINITE_CODE:
                return List.of("release_indefinite");
            default:
                return List.of("limit", Long.toString(action.limit()));
        }
    }

    /**
     * Converts {@code tc -j -s qdisc show} output to qdiscs.
     *
     * @param operation what netbuf is doing, for errors
     * @param stdout the command's output
     * @return the qdiscs, in the order listed
     */
    static List<Qdisc> qdiscs(String operation, String stdout) {
        List<Qdisc> out = new ArrayList<>();
        for (Map<String, Object> entry : Iproute2.parseArray(operation, "tc", stdout)) {
            out.add(qdisc(operation, entry));
        }
        return out;
    }

    /** Converts one qdisc of {@code tc -j -s qdisc show} output. */
    private static Qdisc qdisc(String operation, Map<String, Object> entry) {
        String kind = IprouteJson.string(entry, "kind");
        String handle = IprouteJson.string(entry, "handle");
        if (kind == null || handle == null) {
            throw OperationFailedException.of(operation, "tc -j printed a qdisc without kind/handle: " + entry,
                    null, null, null);
        }
        int parent;
        if (Boolean.TRUE.equals(entry.get("root"))) {
            parent = ROOT;
        } else {
            String parentId = IprouteJson.string(entry, "parent");
            parent = parentId == null ? ROOT : handleId(operation, parentId);
        }
        return new Qdisc(kind, handleId(operation, handle), parent, IprouteJson.number(entry, "backlog", 0),
                IprouteJson.number(entry, "qlen", 0), IprouteJson.number(entry, "drops", 0),
                IprouteJson.number(entry, "bytes", 0), IprouteJson.number(entry, "packets", 0));
    }

    /**
     * Converts {@code tc -j filter show ... ingress} output to the redirect targets.
     *
     * @param operation what netbuf is doing, for errors
     * @param stdout the command's output
     * @return the devices mirred actions redirect to, first occurrence first, without duplicates
     */
    static List<String> redirectTargets(String operation, String stdout) {
        Set<String> targets = new LinkedHashSet<>();
        for (Map<String, Object> filter : Iproute2.parseArray(operation, "tc", stdout)) {
            for (Object action : IprouteJson.array(IprouteJson.child(filter, "options"), "actions")) {
                if (!(action instanceof Map)) {
                    continue;
                }
                Map<String, Object> fields = IprouteJson.object(action, "action");
                String target = IprouteJson.string(fields, "to_dev");
                if ("mirred".equals(IprouteJson.string(fields, "kind"))
                        && "redirect".equals(IprouteJson.string(fields, "mirred_action")) && target != null) {
                    targets.add(target);
                }
            }
        }
        return List.copyOf(targets);
    }

    /**
     * Converts {@code tc -j filter show ... ingress} output to filters: entries without options (a
     * priority's header) and u32 hash tables (with {@code ht_divisor}) are not filters.
     *
     * @param operation what netbuf is doing, for errors
     * @param stdout the command's output
     * @return the filters, in the order listed
     */
    static List<IngressFilter> ingressFilters(String operation, String stdout) {
        List<IngressFilter> out = new ArrayList<>();
        for (Map<String, Object> entry : Iproute2.parseArray(operation, "tc", stdout)) {
            Map<String, Object> options = IprouteJson.child(entry, "options");
            String kind = IprouteJson.string(entry, "kind");
            if (options.isEmpty() || kind == null || options.containsKey("ht_divisor")) {
                continue;
            }
            int prio = (int) IprouteJson.number(entry, "pref", 0);
            int chain = (int) IprouteJson.number(entry, "chain", 0);
            int protocol = protocolNumber(IprouteJson.string(entry, "protocol"));
            String fh = IprouteJson.string(options, "fh");
            int handle = fh != null ? u32Handle(operation, fh) : handleNumber(options.get("handle"));
            List<String> targets = new ArrayList<>();
            List<?> actions = IprouteJson.array(options, "actions");
            for (Object action : actions) {
                if (action instanceof Map) {
                    Map<String, Object> fields = IprouteJson.object(action, "action");
                    String target = IprouteJson.string(fields, "to_dev");
                    if ("mirred".equals(IprouteJson.string(fields, "kind")) && "egress".equals(
                            IprouteJson.string(fields, "direction"))
                            && "redirect".equals(IprouteJson.string(fields, "mirred_action")) && target != null) {
                        targets.add(target);
                    }
                }
            }
            Map<String, Object> match = IprouteJson.child(options, "match");
            boolean matchAll = "u32".equals(kind) && IprouteJson.repeated(options, "match") == 1
                    && "0".equals(IprouteJson.string(match, "mask"));
            out.add(new IngressFilter(kind, prio, protocol, chain, handle, targets.isEmpty() ? null : targets.get(0),
                    matchAll && actions.size() == 1 && targets.size() == 1));
        }
        return out;
    }

    /** @return the ethertype of a protocol as {@code tc} prints it ({@code all}, {@code ip}, ..., or hex) */
    private static int protocolNumber(String name) {
        if (name == null) {
            return 0;
        }
        switch (name) {
            case "all":
                return IngressFilter.ETH_P_ALL;
            case "ip":
                return IngressFilter.ETH_P_IP;
            case "ipv6":
                return 0x86DD;
            case "arp":
                return 0x0806;
            case "802.1Q":
                return 0x8100;
            default:
                String hex = name.replaceAll("[\\[\\]]", "");
                try {
                    return Integer.parseInt(hex.startsWith("0x") ? hex.substring(2) : hex, 16);
                } catch (NumberFormatException e) {
                    return -1;
                }
        }
    }

    /** @return a filter's {@code handle} as {@code tc} prints it (a number or hex text), 0 when absent */
    private static int handleNumber(Object handle) {
        if (handle instanceof Long) {
            return (int) (long) (Long) handle;
        }
        if (handle instanceof String text) {
            try {
                return (int) Long.parseLong(text.startsWith("0x") ? text.substring(2) : text, 16);
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * Parses a u32 handle as {@code tc} prints it, {@code htid:hash:node} in hex (e.g.
     * {@code 801::800}).
     *
     * @param operation what netbuf is doing, for errors
     * @param text the handle
     * @return {@code htid << 20 | hash << 12 | node}
     */
    static int u32Handle(String operation, String text) {
        String[] parts = text.split(":", -1);
        try {
            long htid = parts[0].isEmpty() ? 0 : Long.parseLong(parts[0], 16);
            long hash = parts.length < 2 || parts[1].isEmpty() ? 0 : Long.parseLong(parts[1], 16);
            long node = parts.length < 3 || parts[2].isEmpty() ? 0 : Long.parseLong(parts[2], 16);
            if (parts.length > 3 || htid > 0xFFF || hash > 0xFF || node > 0xFFF) {
                throw new NumberFormatException("out of range");
            }
            return (int) (htid << 20 | hash << 12 | node);
        } catch (NumberFormatException e) {
            throw OperationFailedException.of(operation, "tc printed an unparsable u32 handle '" + text + "'", null,
                    null, e);
        }
    }

    /** @return the handle of {@code filter} as {@code tc filter del ... handle} takes it for its kind */
    private static String handleText(IngressFilter filter) {
        int h = filter.handle();
        if ("u32".equals(filter.kind())) {
            return Integer.toHexString(h >>> 20) + ":" + Integer.toHexString((h >>> 12) & 0xFF) + ":"
                    + Integer.toHexString(h & 0xFFF);
        }
        return "0x" + Integer.toHexString(h);
    }

    /**
     * Parses a tc handle as {@code tc} prints it: {@code "8001:"} (major only) or
     * {@code "ffff:fff1"} (major:minor), both hexadecimal.
     *
     * @param operation what netbuf is doing, for errors
     * @param text the handle
     * @return {@code major << 16 | minor}
     */
    static int handleId(String operation, String text) {
        int colon = text.indexOf(':');
        try {
            if (colon < 0) {
                throw new NumberFormatException("no ':'");
            }
            String major = text.substring(0, colon);
            String minor = text.substring(colon + 1);
            long maj = major.isEmpty() ? 0 : Long.parseLong(major, 16);
            long min = minor.isEmpty() ? 0 : Long.parseLong(minor, 16);
            if (maj > 0xFFFF || min > 0xFFFF || maj < 0 || min < 0) {
                throw new NumberFormatException("out of range");
            }
            return (int) (maj << 16 | min);
        } catch (NumberFormatException e) {
            throw OperationFailedException.of(operation, "tc printed an unparsable handle '" + text + "'", null,
                    null, e);
        }
    }
}
