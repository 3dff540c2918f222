package io.netbuf.testkit.internal;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.testkit.Drop;
import io.netbuf.testkit.Frame;
import io.netbuf.testkit.PlugState;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The network half of the fake host: links, qdiscs, ingress filters, the plug model and the path a
 * guest's frame takes. Every method is synchronized on the kernel (one big lock, like RTNL plus the
 * qdisc locks). Refusals are {@link OperationFailedException#ofErrno} with the errno and extended-ack
 * message a 6.x kernel returns for the same request (checked against a real kernel with
 * {@code ip}/{@code tc}).
 */
public final class FakeKernel {
    /** {@code ENOENT}. */
    public static final int ENOENT = 2;
    /** {@code EEXIST}. */
    public static final int EEXIST = 17;
    /** {@code ENODEV}. */
    public static final int ENODEV = 19;
    /** {@code EINVAL}. */
    public static final int EINVAL = 22;
    /** {@code EOPNOTSUPP}. */
    public static final int EOPNOTSUPP = 95;

    /** Handle of the ingress qdisc ({@code ffff:}). */
    public static final int INGRESS_HANDLE = 0xFFFF0000;

    private static final String UNKNOWN_QDISC = "Specified qdisc kind is unknown.";
    private static final String EXCLUSIVE = "Exclusivity flag on, cannot modify.";

    private final Map<String, LinkState> links = new TreeMap<>();
    private final Set<KernelFeature> absent = EnumSet.noneOf(KernelFeature.class);
    private final Map<String, List<Frame>> delivered = new LinkedHashMap<>();
    private final List<Drop> drops = new ArrayList<>();
    private int nextIndex = 2;
    private int nextHandleMajor = 0x8001;
    /** The next u32 handle: a hash table per filter, as the kernel gives a new priority ({@code 800::800}, ...). */
    private int nextFilterHandle = 0x80000800;

    /** A packet on its way: the frame and the ifindex of the vif it entered through. */
    private record Packet(Frame frame, int originIndex, String originName) {
        int length() {
            return frame.length();
        }
    }

    /**
     * An ingress filter: netbuf's u32 match-all with a mirred egress redirect, or one a test set up
     * as someone else's (see {@link #addFilter}); {@code targetIndex} is 0 when it redirects nowhere.
     */
    private record Filter(String kind, int prio, int protocol, int handle, int targetIndex, String targetName,
            boolean matchAllRedirect) {
        boolean matches(Frame frame) {
            return protocol == IngressFilter.ETH_P_ALL || frame.ethertype() == protocol;
        }

        String protocolName() {
            return protocol == IngressFilter.ETH_P_ALL ? "all" : protocol == IngressFilter.ETH_P_IP ? "ip"
                    : String.format("0x%04x", protocol);
        }
    }

    /** A kernel default root qdisc (handle 0), with the counters it keeps. */
    private static final class DefaultRoot {
        final String kind;
        long sentBytes;
        long sentPackets;

        DefaultRoot(String kind) {
            this.kind = kind;
        }
    }

    private static final class LinkState {
        final String name;
        final int index;
        final String kind;
        boolean up;
        /** How IPv6 forms the link's address when it comes up; the kernel's default is EUI-64. */
        Ipv6AddrGenMode addrGenMode = Ipv6AddrGenMode.EUI64;
        /** The default root the kernel attached at the last activation; null while only noop is there. */
        DefaultRoot defaultRoot;
        PlugQdisc<Packet> plug;
        int plugHandle;
        boolean ingress;
        /** Set once an ingress qdisc was ever added: a later delete then fails with EINVAL, not ENOENT. */
        boolean ingressQueueCreated;
        final List<Filter> filters = new ArrayList<>();

        LinkState(String name, int index, String kind, boolean up) {
            this.name = name;
            this.index = index;
            this.kind = kind;
            this.up = up;
        }

        Link view() {
            return new Link(name, index, kind, up);
        }

        String defaultKind() {
            return "ifb".equals(kind) ? "pfifo_fast" : "noqueue";
        }
    }

    // ---------------------------------------------------------------- setup (no checks of features)

    /**
     * Adds a link as a test's setup (not a port operation).
     *
     * @param name its name
     * @param kind its kind ({@code "ifb"}, {@code "veth"}, ...)
     * @param up whether it starts up
     * @throws IllegalArgumentException if the name is taken
     */
    public synchronized void addLink(String name, String kind, boolean up) {
        if (links.containsKey(name)) {
            throw new IllegalArgumentException("link " + name + " exists already");
        }
        checkName(name, "add link");
        LinkState link = new LinkState(name, nextIndex++, kind, false);
        links.put(name, link);
        if (up) {
            setUpInternal(link, true);
        }
    }

    /**
     * Removes a link as a test's setup (e.g. the guest went away), purging what it holds.
     *
     * @param name the link
     * @throws IllegalArgumentException if there is no such link
     */
    public synchronized void removeLink(String name) {
        LinkState link = links.get(name);
        if (link == null) {
            throw new IllegalArgumentException("no link " + name);
        }
        delete(link);
    }

    /**
     * Runs an action with no other operation on this kernel in between.
     *
     * @param action what to run
     * @param <T> its result type
     * @return its result
     */
    public synchronized <T> T atomically(Supplier<T> action) {
        return action.get();
    }

    /** @param feature a feature the kernel should lack from now on */
    public synchronized void removeFeature(KernelFeature feature) {
        absent.add(feature);
    }

    /** @param feature a feature the kernel has again */
    public synchronized void restoreFeature(KernelFeature feature) {
        absent.remove(feature);
    }

    // ---------------------------------------------------------------- KernelFeatures

    /**
     * @param wanted features to check
     * @return those absent
     */
    public synchronized Set<KernelFeature> missing(Set<KernelFeature> wanted) {
        Set<KernelFeature> out = EnumSet.noneOf(KernelFeature.class);
        for (KernelFeature f : wanted) {
            if (absent.contains(f)) {
                out.add(f);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- Links

    /**
     * @param name a link name
     * @return the link, if present
     */
    public synchronized Optional<Link> find(String name) {
        LinkState link = links.get(name);
        return link == null ? Optional.empty() : Optional.of(link.view());
    }

    /** @return every link, sorted by name */
    public synchronized List<Link> all() {
        List<Link> out = new ArrayList<>();
        for (LinkState link : links.values()) {
            out.add(link.view());
        }
        out.sort(java.util.Comparator.comparing(Link::name));
        return out;
    }

    /** @return every IFB, sorted by name */
    public synchronized List<Link> ifbs() {
        List<Link> out = new ArrayList<>();
        for (LinkState link : links.values()) {
            if ("ifb".equals(link.kind)) {
                out.add(link.view());
            }
        }
        return out;
    }

    /** @param name the new IFB's name (created down) */
    public synchronized void createIfb(String name) {
        String op = "create IFB " + name;
        checkName(name, op);
        if (absent.contains(KernelFeature.IFB)) {
            throw OperationFailedException.ofErrno(op, EOPNOTSUPP, "Unknown device type.", null, name);
        }
        if (links.containsKey(name)) {
            throw OperationFailedException.ofErrno(op, EEXIST, "File exists", null, name);
        }
        links.put(name, new LinkState(name, nextIndex++, "ifb", false));
    }

    /** @param name the IFB to delete */
    public synchronized void deleteIfb(String name) {
        String op = "delete IFB " + name;
        LinkState link = require(name, op);
        if (!"ifb".equals(link.kind)) {
            // The kernel would delete any link; the fake refuses so that a controller bug that deletes
            // a guest's vif fails loudly instead of passing unnoticed.
            throw OperationFailedException.ofErrno(op, EOPNOTSUPP,
                    "fake host refuses: " + name + " is a " + (link.kind.isEmpty() ? "link" : link.kind)
                            + " device, not an IFB", null, name);
        }
        delete(link);
    }

    /**
     * @param name the link
     * @param up the administrative state
     */
    public synchronized void setUp(String name, boolean up) {
        LinkState link = require(name, "set " + name + (up ? " up" : " down"));
        setUpInternal(link, up);
    }

    /**
     * @param name the link
     * @param mode how IPv6 should form its address from now on
     * @return the mode before (the fake kernel always has IPv6)
     */
    public synchronized Optional<Ipv6AddrGenMode> setIpv6AddrGenMode(String name, Ipv6AddrGenMode mode) {
        LinkState link = require(name, "set IPv6 addrgenmode " + mode.iproute2Name() + " on " + name);
        Ipv6AddrGenMode before = link.addrGenMode;
        link.addrGenMode = mode;
        return Optional.of(before);
    }

    /**
     * @param name a link
     * @return how IPv6 forms its address, if the link exists
     */
    public synchronized Optional<Ipv6AddrGenMode> ipv6AddrGenMode(String name) {
        LinkState link = links.get(name);
        return link == null ? Optional.empty() : Optional.of(link.addrGenMode);
    }

    // ---------------------------------------------------------------- TrafficControl

    /**
     * @param dev the device
     * @return its qdiscs as {@code tc qdisc show dev} lists them (root first, then ingress)
     */
    public synchronized List<Qdisc> qdiscs(String dev) {
        LinkState link = require(dev, "list qdiscs of " + dev);
        List<Qdisc> out = new ArrayList<>();
        if (link.plug != null) {
            PlugQdisc<Packet> p = link.plug;
            out.add(new Qdisc("plug", link.plugHandle, TrafficControl.ROOT, p.backlogBytes(), p.backlogPackets(),
                    p.drops(), p.sentBytes(), p.sentPackets()));
        } else if (link.defaultRoot != null) {
            DefaultRoot d = link.defaultRoot;
            out.add(new Qdisc(d.kind, 0, TrafficControl.ROOT, 0, 0, 0, d.sentBytes, d.sentPackets));
        }
        if (link.ingress) {
            out.add(new Qdisc("ingress", INGRESS_HANDLE, TrafficControl.INGRESS, 0, 0, 0, 0, 0));
        }
        return out;
    }

    /** @return every link's qdiscs as {@link #qdiscs(String)} lists them, by link name */
    public synchronized Map<String, List<Qdisc>> allQdiscs() {
        Map<String, List<Qdisc>> out = new LinkedHashMap<>();
        for (String name : links.keySet()) {
            out.put(name, qdiscs(name));
        }
        return out;
    }

    /** @param dev the device that gets an ingress qdisc */
    public synchronized void addIngress(String dev) {
        String op = "add ingress qdisc to " + dev;
        LinkState link = require(dev, op);
        if (absent.contains(KernelFeature.INGRESS)) {
            throw OperationFailedException.ofErrno(op, ENOENT, UNKNOWN_QDISC, dev, null);
        }
        if (link.ingress) {
            throw OperationFailedException.ofErrno(op, EEXIST, EXCLUSIVE, dev, null);
        }
        link.ingress = true;
        link.ingressQueueCreated = true;
    }

    /** @param dev the device whose ingress qdisc (and filters) go */
    public synchronized void deleteIngress(String dev) {
        String op = "delete ingress qdisc of " + dev;
        LinkState link = require(dev, op);
        if (!link.ingress) {
            if (link.ingressQueueCreated) {
                throw OperationFailedException.ofErrno(op, EINVAL, "Invalid handle.", dev, null);
            }
            throw OperationFailedException.ofErrno(op, ENOENT, "Cannot find specified qdisc on specified device.",
                    dev, null);
        }
        link.ingress = false;
        link.filters.clear();
    }

    /**
     * @param vif the device whose ingress is redirected
     * @param target the redirect target
     * @param protocols the ethertypes matched
     */
    public synchronized void addRedirect(String vif, String target, Protocols protocols) {
        String op = "add redirect filter from " + vif + " to " + target;
        LinkState link = require(vif, op);
        if (!link.ingress) {
            throw OperationFailedException.ofErrno(op, EINVAL, "Parent Qdisc doesn't exists.", vif, target);
        }
        if (absent.contains(KernelFeature.U32)) {
            throw OperationFailedException.ofErrno(op, ENOENT, "TC classifier not found", vif, target);
        }
        if (absent.contains(KernelFeature.MIRRED)) {
            throw OperationFailedException.ofErrno(op, ENOENT, "Failed to load TC action module", vif, target);
        }
        LinkState to = links.get(target);
        if (to == null) {
            throw OperationFailedException.ofErrno(op, ENODEV, "Specified device does not exist", vif, target);
        }
        int protocol = protocols == Protocols.ALL ? IngressFilter.ETH_P_ALL : IngressFilter.ETH_P_IP;
        addFilterChecked(link, new IngressFilter("u32", IngressFilter.NETBUF_PRIO, protocol, 0, 0, to.name, true),
                to, op, vif, target);
    }

    /**
     * Adds an ingress filter as a test's setup (not a port operation), e.g. an administrator's
     * mirror or redirect; the device gets an ingress qdisc if it has none.
     *
     * @param dev the device
     * @param filter the filter (its handle is assigned by the kernel; a target must exist)
     */
    public synchronized void addFilter(String dev, IngressFilter filter) {
        LinkState link = require(dev, "add filter to " + dev);
        LinkState to = filter.target() == null ? null : require(filter.target(), "find " + filter.target());
        link.ingress = true;
        link.ingressQueueCreated = true;
        addFilterChecked(link, filter, to, "add filter to " + dev, dev, filter.target());
    }

    private void addFilterChecked(LinkState link, IngressFilter filter, LinkState to, String op, String vif,
            String target) {
        for (Filter f : link.filters) {
            if (f.prio() == filter.prio() && f.protocol() != filter.protocol()) {
                throw OperationFailedException.ofErrno(op, EINVAL,
                        "Protocol mismatch for filter with specified priority.", vif, target);
            }
        }
        link.filters.add(new Filter(filter.kind(), filter.prio(), filter.protocol(), nextFilterHandle,
                to == null ? 0 : to.index, to == null ? null : to.name, filter.matchAllRedirect()));
        nextFilterHandle += 1 << 20;
        link.filters.sort(java.util.Comparator.comparingInt(Filter::prio).thenComparingInt(Filter::handle));
    }

    /**
     * @param dev the device
     * @return its ingress filters, by priority
     */
    public synchronized List<IngressFilter> ingressFilters(String dev) {
        LinkState link = require(dev, "list filters of " + dev);
        List<IngressFilter> out = new ArrayList<>();
        for (Filter f : link.filters) {
            LinkState to = f.targetIndex() == 0 ? null : byIndex(f.targetIndex());
            out.add(new IngressFilter(f.kind(), f.prio(), f.protocol(), 0, f.handle(), to == null ? null : to.name,
                    f.matchAllRedirect()));
        }
        return out;
    }

    /**
     * @param dev the device
     * @param filter the filter to delete (by priority, protocol, kind and handle)
     */
    public synchronized void deleteIngressFilter(String dev, IngressFilter filter) {
        String op = "delete filter of " + dev;
        LinkState link = require(dev, op);
        boolean removed = link.filters.removeIf(f -> f.prio() == filter.prio() && f.protocol() == filter.protocol()
                && f.handle() == filter.handle() && f.kind().equals(filter.kind()));
        if (!removed) {
            throw OperationFailedException.ofErrno(op, ENOENT, "Filter with specified priority/protocol not found.",
                    dev, filter.target());
        }
    }

    /**
     * @param vif the device
     * @return the names of the live devices its ingress filters redirect to
     */
    public synchronized List<String> redirectTargets(String vif) {
        LinkState link = require(vif, "list filters of " + vif);
        List<String> out = new ArrayList<>();
        for (Filter f : link.filters) {
            LinkState to = f.targetIndex() == 0 ? null : byIndex(f.targetIndex());
            if (to != null && !out.contains(to.name)) {
                out.add(to.name);
            }
        }
        return out;
    }

    /**
     * @param dev the device that gets a root plug
     * @param limit its byte limit
     */
    public synchronized void addPlug(String dev, long limit) {
        String op = "add plug qdisc to " + dev;
        if (limit < 0 || limit > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("plug limit must fit in a __u32: " + limit);
        }
        LinkState link = require(dev, op);
        if (absent.contains(KernelFeature.PLUG)) {
            throw OperationFailedException.ofErrno(op, ENOENT, UNKNOWN_QDISC, null, dev);
        }
        if (link.plug != null) {
            throw OperationFailedException.ofErrno(op, EEXIST, EXCLUSIVE, null, dev);
        }
        link.plug = new PlugQdisc<>(limit, Packet::length);
        link.plugHandle = nextHandleMajor << 16;
        // Like the kernel's qdisc_alloc_handle: automatic majors cycle through 8000..ffff and are
        // never 0 (a handle of 0 would make the plug look like a kernel default).
        nextHandleMajor = nextHandleMajor == 0xFFFF ? 0x8000 : nextHandleMajor + 1;
    }

    /** @param dev the device whose explicit root qdisc goes, with its backlog */
    public synchronized void deleteRoot(String dev) {
        String op = "delete root qdisc of " + dev;
        LinkState link = require(dev, op);
        if (link.plug == null) {
            throw OperationFailedException.ofErrno(op, ENOENT, "Cannot delete qdisc with handle of zero.", null, dev);
        }
        purge(link, "purged: the plug of " + dev + " was deleted");
        link.plug = null;
        link.plugHandle = 0;
        // The kernel grafts noop in its place and, on a running device, attaches a fresh default.
        link.defaultRoot = link.up ? new DefaultRoot(link.defaultKind()) : null;
    }

    /**
     * Applies one action to the plug of each device in order; every device is attempted.
     *
     * @param devs the devices
     * @param action the action
     * @throws OperationFailedException the first refusal, after all were attempted
     */
    public synchronized void plug(List<String> devs, PlugAction action) {
        OperationFailedException first = null;
        for (String dev : devs) {
            String op = "plug " + action.label() + " on " + dev;
            LinkState link = links.get(dev);
            OperationFailedException failure = null;
            if (link == null) {
                failure = OperationFailedException.ofErrno(op, ENODEV, "No such device", null, dev);
            } else if (link.plug == null) {
                failure = OperationFailedException.ofErrno(op, ENOENT,
                        "Qdisc not found. To create specify NLM_F_CREATE flag.", null, dev);
            } else if (link.plug.change(action)) {
                run(link);
            }
            if (failure != null && first == null) {
                first = failure;
            } else if (failure != null) {
                first.addSuppressed(failure);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * @param dev a device
     * @return the private state of its plug, if it has one
     */
    public synchronized Optional<PlugState> plugState(String dev) {
        LinkState link = links.get(dev);
        return link == null || link.plug == null ? Optional.empty() : Optional.of(link.plug.state());
    }

    // ---------------------------------------------------------------- packets

    /**
     * A guest sends a frame: it enters the vif's ingress and follows the filters.
     *
     * @param vif the vif
     * @param frame the frame
     * @throws IllegalArgumentException if there is no such link
     */
    public synchronized void send(String vif, Frame frame) {
        LinkState link = links.get(vif);
        if (link == null) {
            throw new IllegalArgumentException("no link " + vif + " to send into");
        }
        if (!link.up) {
            drops.add(new Drop(frame, vif, vif + " is down"));
            return;
        }
        Packet packet = new Packet(frame, link.index, link.name);
        if (link.ingress) {
            for (Filter f : link.filters) {
                if (f.targetIndex() != 0 && f.matches(frame)) {
                    redirect(packet, f);
                    return;
                }
            }
        }
        deliver(packet);
    }

    /**
     * @param vif a vif
     * @return the frames delivered to the host side of the vif so far, in order
     */
    public synchronized List<Frame> delivered(String vif) {
        return List.copyOf(delivered.getOrDefault(vif, List.of()));
    }

    /**
     * @param vif a vif
     * @return the frames delivered so far, which are then forgotten
     */
    public synchronized List<Frame> drainDelivered(String vif) {
        List<Frame> out = delivered.remove(vif);
        return out == null ? List.of() : out;
    }

    /** @return every frame not delivered so far, in order */
    public synchronized List<Drop> drops() {
        return List.copyOf(drops);
    }

    private void redirect(Packet packet, Filter filter) {
        LinkState to = byIndex(filter.targetIndex());
        if (to == null) {
            drops.add(new Drop(packet.frame(), packet.originName(),
                    "redirect target " + filter.targetName() + " no longer exists"));
        } else if (!to.up) {
            drops.add(new Drop(packet.frame(), packet.originName(), "redirect target " + to.name + " is down"));
        } else if (!"ifb".equals(to.kind)) {
            drops.add(new Drop(packet.frame(), packet.originName(),
                    "redirected out of " + to.name + ", which is not an IFB"));
        } else if (to.plug != null) {
            if (!to.plug.enqueue(packet)) {
                drops.add(new Drop(packet.frame(), packet.originName(), "over the plug limit of " + to.name));
            }
            run(to);
        } else {
            to.defaultRoot.sentBytes += packet.length();
            to.defaultRoot.sentPackets++;
            deliver(packet);
        }
    }

    /** {@code __qdisc_run}: dequeue until the qdisc returns nothing; the IFB re-injects each packet. */
    private void run(LinkState ifb) {
        if (!ifb.up) {
            return;
        }
        Packet p;
        while ((p = ifb.plug.dequeue()) != null) {
            deliver(p);
        }
    }

    private void deliver(Packet packet) {
        LinkState origin = byIndex(packet.originIndex());
        if (origin == null) {
            drops.add(new Drop(packet.frame(), packet.originName(), packet.originName() + " no longer exists"));
            return;
        }
        delivered.computeIfAbsent(origin.name, k -> new ArrayList<>()).add(packet.frame());
    }

    private void purge(LinkState link, String reason) {
        if (link.plug == null) {
            return;
        }
        for (Packet p : link.plug.purge()) {
            drops.add(new Drop(p.frame(), p.originName(), reason));
        }
    }

    // ---------------------------------------------------------------- leak check

    /**
     * @return every fact the leak check compares: links and their state, explicit qdiscs and filters
     */
    public synchronized Map<String, String> facts() {
        Map<String, String> out = new TreeMap<>();
        for (LinkState link : links.values()) {
            out.put("link " + link.name, (link.kind.isEmpty() ? "link" : link.kind) + ", " + (link.up ? "up" : "down")
                    + (link.addrGenMode == Ipv6AddrGenMode.EUI64 ? "" : ", addrgenmode " + link.addrGenMode.iproute2Name()));
            if (link.plug != null) {
                out.put("qdisc " + link.name + " root", "plug");
            }
            if (link.ingress) {
                out.put("qdisc " + link.name + " ingress", "ingress");
            }
            for (int i = 0; i < link.filters.size(); i++) {
                Filter f = link.filters.get(i);
                LinkState to = f.targetIndex() == 0 ? null : byIndex(f.targetIndex());
                String what = f.matchAllRedirect() && f.prio() == IngressFilter.NETBUF_PRIO ? ""
                        : " prio " + f.prio() + (f.matchAllRedirect() ? "" : " (not match-all redirect)");
                out.put("filter " + link.name + " ingress #" + (i + 1), f.kind() + what + " protocol "
                        + f.protocolName() + (f.targetName() == null ? "" : " mirred egress redirect dev "
                        + (to == null ? f.targetName() + " (gone)" : to.name)));
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- helpers

    private void setUpInternal(LinkState link, boolean up) {
        if (link.up == up) {
            return;
        }
        link.up = up;
        if (up) {
            if (link.plug == null && link.defaultRoot == null) {
                link.defaultRoot = new DefaultRoot(link.defaultKind());
            }
        } else {
            purge(link, "purged: " + link.name + " went down");
        }
    }

    private void delete(LinkState link) {
        purge(link, "purged: " + link.name + " was deleted");
        links.remove(link.name);
    }

    private LinkState require(String name, String op) {
        LinkState link = links.get(name);
        if (link == null) {
            throw OperationFailedException.ofErrno(op, ENODEV, "No such device", null, null);
        }
        return link;
    }

    private LinkState byIndex(int index) {
        for (LinkState link : links.values()) {
            if (link.index == index) {
                return link;
            }
        }
        return null;
    }

    private static void checkName(String name, String op) {
        boolean ok = name != null && !name.isEmpty() && name.getBytes(StandardCharsets.UTF_8).length <= 15
                && !name.equals(".") && !name.equals("..");
        if (ok) {
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c == '/' || c == ':' || Character.isWhitespace(c) || c < 0x20 || c == 0x7F) {
                    ok = false;
                }
            }
        }
        if (!ok) {
            throw OperationFailedException.ofErrno(op, EINVAL, "Invalid argument", null, null);
        }
    }
}
