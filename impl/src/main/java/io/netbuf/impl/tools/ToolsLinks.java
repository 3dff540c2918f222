package io.netbuf.impl.tools;

import io.netbuf.OperationFailedException;
import io.netbuf.Validate;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.Links;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@link Links} through iproute2's {@code ip} (JSON output), optionally inside a named network
 * namespace. IFBs are recognised by their link kind, never by name. Thread-safe.
 */
public final class ToolsLinks implements Links {
    private final Iproute2 tools;

    /**
     * @param runner runs the commands
     * @param namespace the network namespace to act in ({@code ip -n NS}), or null for this process's own
     * @throws io.netbuf.InvalidConfigurationException if the namespace name is invalid
     */
    public ToolsLinks(CommandRunner runner, String namespace) {
        this.tools = new Iproute2(runner, namespace);
    }

    /** Links of this process's own namespace, with the default command runner. */
    public ToolsLinks() {
        this(new CommandRunner(), null);
    }

    @Override
    public Optional<Link> find(String name) {
        Validate.vif(name);
        String operation = "look up link " + name + tools.where();
        CommandRunner.Result result = show(operation, name);
        return result == null ? Optional.empty() : one(operation, name, result);
    }

    /** @return the result of {@code ip -j -d link show dev NAME}, or null when there is no such device */
    private CommandRunner.Result show(String operation, String name) {
        CommandRunner.Result result = tools.ipResult(operation, "-j", "-d", "link", "show", "dev", name);
        if (result.ok()) {
            return result;
        }
        if (result.stderr().contains("does not exist")) {
            return null;
        }
        throw OperationFailedException.ofCommand(operation, result.argv(), result.exitCode(), result.stderr(), null,
                null);
    }

    private static Optional<Link> one(String operation, String name, CommandRunner.Result result) {
        return links(operation, result.stdout()).stream().filter(l -> l.name().equals(name)).findFirst();
    }

    @Override
    public List<Link> all() {
        String operation = "list links" + tools.where();
        List<Link> all = new ArrayList<>(links(operation, tools.ip(operation, "-j", "-d", "link", "show")));
        all.sort(Comparator.comparing(Link::name));
        return List.copyOf(all);
    }

    @Override
    public List<Link> ifbs() {
        List<Link> ifbs = new ArrayList<>();
        for (Link link : all()) {
            if (link.isIfb()) {
                ifbs.add(link);
            }
        }
        return List.copyOf(ifbs);
    }

    @Override
    public void createIfb(String name) {
        Validate.ifb(name);
        tools.ip("create IFB " + name + tools.where(), "link", "add", name, "type", "ifb");
    }

    @Override
    public void deleteIfb(String name) {
        Validate.ifb(name);
        String operation = "delete IFB " + name + tools.where();
        CommandRunner.Result result = tools.ipResult(operation, "-j", "-d", "link", "show", "dev", name);
        Link link = result.ok() ? one(operation, name, result).orElse(null) : null;
        if (link == null) {
            // the look-up that found no such device is the refusal
            throw OperationFailedException.ofCommand(operation, result.argv(), result.ok() ? 1 : result.exitCode(),
                    result.ok() ? "no link named " + name + " in the output" : result.stderr(), null, name);
        }
        if (!link.isIfb()) {
            throw OperationFailedException.of(operation, "refusing to delete a device of kind '" + link.kind()
                    + "': not an IFB", null, name, null);
        }
        tools.ip(operation, "link", "del", "dev", name);
    }

    @Override
    public void setUp(String name, boolean up) {
        Validate.ifb(name);
        String state = up ? "up" : "down";
        tools.ip("set link " + name + " " + state + tools.where(), "link", "set", "dev", name, state);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads the mode from {@code ip -j -d link show} and runs {@code ip link set dev NAME
     * addrgenmode MODE} only when it differs.
     */
    @Override
    public Optional<Ipv6AddrGenMode> setIpv6AddrGenMode(String name, Ipv6AddrGenMode mode) {
        Validate.vif(name);
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        String operation = "set IPv6 addrgenmode " + mode.iproute2Name() + " on " + name + tools.where();
        CommandRunner.Result result = tools.ipResult(operation, "-j", "-d", "link", "show", "dev", name);
        if (!result.ok()) {
            throw OperationFailedException.ofCommand(operation, result.argv(), result.exitCode(), result.stderr(),
                    null, name);
        }
        Optional<Ipv6AddrGenMode> before = addrGenMode(operation, name, result.stdout());
        if (before.isPresent() && before.get() != mode) {
            tools.ip(operation, "link", "set", "dev", name, "addrgenmode", mode.iproute2Name());
        }
        return before;
    }

    /** @return the {@code inet6_addr_gen_mode} of the named link, empty when it has no IPv6 */
    private static Optional<Ipv6AddrGenMode> addrGenMode(String operation, String name, String stdout) {
        for (Map<String, Object> entry : Iproute2.parseArray(operation, "ip", stdout)) {
            if (name.equals(IprouteJson.string(entry, "ifname"))) {
                String value = IprouteJson.string(entry, "inet6_addr_gen_mode");
                if (value == null) {
                    return Optional.empty();
                }
                try {
                    return Optional.of(Ipv6AddrGenMode.ofIproute2Name(value));
                } catch (IllegalArgumentException e) {
                    throw OperationFailedException.of(operation, "ip printed an unknown addrgenmode: " + value, null,
                            name, e);
                }
            }
        }
        throw OperationFailedException.of(operation, "ip -j printed no link named " + name, null, name, null);
    }

    /**
     * Converts {@code ip -j -d link show} output to links.
     *
     * @param operation what netbuf is doing, for errors
     * @param stdout the command's output
     * @return the links, in the order listed
     */
    static List<Link> links(String operation, String stdout) {
        List<Link> links = new ArrayList<>();
        for (Map<String, Object> entry : Iproute2.parseArray(operation, "ip", stdout)) {
            String name = IprouteJson.string(entry, "ifname");
            long index = IprouteJson.number(entry, "ifindex", -1);
            if (name == null || index < 0) {
                throw OperationFailedException.of(operation, "ip -j printed a link without ifname/ifindex: "
                        + entry, null, null, null);
            }
            String kind = IprouteJson.string(IprouteJson.child(entry, "linkinfo"), "info_kind");
            boolean up = IprouteJson.array(entry, "flags").contains("UP");
            links.add(new Link(name, (int) index, kind == null ? "" : kind, up));
        }
        return links;
    }
}
