package io.netbuf.testkit;

import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Links;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.internal.FakeKernel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * A fake host for tests: an in-memory kernel (links, IFBs, qdiscs, ingress redirect filters and a
 * packet-level plug qdisc that behaves like {@code sch_plug}), a {@link FakeXenstore}, a host lock and
 * kernel features, behind the same {@link Host} ports the engine drives on a real machine.
 *
 * <pre>{@code
 * FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(2);
 * try (NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").on(host).attach()) {
 *     host.guest("vif5.0").send(Frame.ipv4(1, 100));
 *     buffer.checkpoint();
 *     assertEquals(List.of(), host.delivered("vif5.0"));   // held
 *     buffer.commit();
 *     assertEquals(1, host.delivered("vif5.0").get(0).id());
 * }
 * host.assertClean();
 * }</pre>
 *
 * <p>Refusals mirror a 6.x kernel: {@link io.netbuf.OperationFailedException} with its errno and
 * extended-ack message. A test can take kernel features and tools away, inject faults into any port
 * operation ({@link #faults()}), read the log of port operations ({@link #calls()}), and check that
 * nothing leaked ({@link #assertClean()}). Setup methods ({@code with*}, {@code add*},
 * {@link #removeLink}) describe the host as it is before the code under test runs, or what happens
 * to it meanwhile: they are not port operations, are not logged, and what they do becomes part of
 * the clean state, also in the middle of a test. What the code under test did stays a leak (a
 * redirect it left pointing at an IFB that a set-up removed, say).
 *
 * <p>Thread-safe.
 */
public final class FakeHost implements Host {
    private static final String XENSTORE_FACT = "xenstore ";
    /** The last domain id below Xen's reserved ones ({@code DOMID_FIRST_RESERVED} is 0x7FF0). */
    private static final int MAX_GUEST_DOMID = 0x7FEF;

    private final FakeKernel kernel = new FakeKernel();
    private final FakeXenstore store = new FakeXenstore();
    private final CallInterceptor interceptor = new CallInterceptor();
    private final Links links = new InterceptedPorts.FakeLinks(interceptor, kernel);
    private final TrafficControl trafficControl = new InterceptedPorts.FakeTrafficControl(interceptor, kernel);
    private final KernelFeatures features = new InterceptedPorts.FakeFeatures(interceptor, kernel);
    private final Xenstore xenstore = new InterceptedPorts.InterceptedXenstore(interceptor, store);
    private final FakeHostLock lock = new FakeHostLock(interceptor);
    private final FakeProcesses processes = new FakeProcesses();
    private final AtomicLong frameIds = new AtomicLong();
    private final Object baselineLock = new Object();
    private Map<String, String> baseline;

    private FakeHost() {
        baseline = facts();
    }

    /** @return an empty host: no links, an empty xenstore (only {@code /}), every feature and tool present */
    public static FakeHost create() {
        return new FakeHost();
    }

    /** @return every port operation name a fault can target, e.g. {@code "trafficControl.addPlug"} */
    public static List<String> operations() {
        return PortOperation.publicNames();
    }

    // ------------------------------------------------------------------ setup

    /**
     * Adds a guest vif: a link that is up and has no qdisc of its own (modelled on the veth the
     * compatibility kit uses in a network namespace: kind {@code veth}, default root {@code noqueue}).
     *
     * @param name e.g. {@code vif5.0}
     * @return this
     */
    public FakeHost withVif(String name) {
        addVif(name);
        return this;
    }

    /**
     * Adds IFB devices {@code ifb0}..{@code ifb<count-1>}, down, as {@code modprobe ifb numifbs=count}
     * does (names that exist already are skipped).
     *
     * @param count how many
     * @return this
     */
    public FakeHost withIfbs(int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must not be negative: " + count);
        }
        kernelSetup(() -> {
            for (int i = 0; i < count; i++) {
                if (kernel.find("ifb" + i).isEmpty()) {
                    kernel.addLink("ifb" + i, "ifb", false);
                }
            }
        });
        return this;
    }

    /**
     * Adds an IFB device, down.
     *
     * @param name its name
     * @return this
     */
    public FakeHost withIfb(String name) {
        addIfb(name);
        return this;
    }

    /**
     * Adds a link of any kind.
     *
     * @param name its name
     * @param kind its kind, e.g. {@code "veth"}, {@code "ifb"}, {@code ""} for none
     * @param up whether it is up
     * @return this
     */
    public FakeHost withLink(String name, String kind, boolean up) {
        Objects.requireNonNull(kind, "kind");
        kernelSetup(() -> kernel.addLink(name, kind, up));
        return this;
    }

    /**
     * Adds an ingress filter someone else set up (an administrator's mirror or redirect), with an
     * ingress qdisc if the device has none.
     *
     * @param dev the device
     * @param filter the filter (its handle and chain are ignored; a target must exist)
     * @return this
     */
    public FakeHost withIngressFilter(String dev, IngressFilter filter) {
        Objects.requireNonNull(filter, "filter");
        kernelSetup(() -> kernel.addFilter(dev, filter));
        return this;
    }

    /**
     * Takes a kernel feature away: {@link KernelFeatures#missing} reports it and the operations that
     * need it fail as the kernel fails them (e.g. adding a plug: errno ENOENT
     * "Specified qdisc kind is unknown.").
     *
     * @param feature the feature
     * @return this
     */
    public FakeHost withoutFeature(KernelFeature feature) {
        kernel.removeFeature(Objects.requireNonNull(feature, "feature"));
        return this;
    }

    /**
     * Gives a feature taken with {@link #withoutFeature} back.
     *
     * @param feature the feature
     * @return this
     */
    public FakeHost withFeature(KernelFeature feature) {
        kernel.restoreFeature(Objects.requireNonNull(feature, "feature"));
        return this;
    }

    /**
     * Takes a tool away: every port operation a tools backend runs it for throws
     * {@link io.netbuf.MissingToolException}. {@code ip}: links; {@code tc}: traffic control;
     * {@code xenstore-read}, {@code -write} (also mkdir), {@code -list}, {@code -exists}, {@code -rm};
     * {@code xenstore} takes all five.
     *
     * @param tool the executable
     * @return this
     */
    public FakeHost withoutTool(String tool) {
        interceptor.missingTools().addAll(tools(tool));
        return this;
    }

    /**
     * Gives a tool taken with {@link #withoutTool} back.
     *
     * @param tool the executable
     * @return this
     */
    public FakeHost withTool(String tool) {
        interceptor.missingTools().removeAll(tools(tool));
        return this;
    }

    /**
     * Writes a xenstore node as part of the initial state (not a port operation).
     *
     * @param path an absolute path
     * @param value its value
     * @return this
     */
    public FakeHost withXenstore(String path, String value) {
        xenstoreSetup(() -> store.write(path, value));
        return this;
    }

    /**
     * Adds a guest vif (see {@link #withVif}).
     *
     * @param name its name
     */
    public void addVif(String name) {
        kernelSetup(() -> kernel.addLink(name, "veth", true));
    }

    /**
     * Adds an IFB device, down.
     *
     * @param name its name
     */
    public void addIfb(String name) {
        kernelSetup(() -> kernel.addLink(name, "ifb", false));
    }

    /**
     * Removes a link (a guest went away, an administrator deleted an IFB), dropping what it holds.
     *
     * @param name the link
     */
    public void removeLink(String name) {
        kernelSetup(() -> kernel.removeLink(name));
    }

    /**
     * Removes a xenstore node and everything under it, as another process does (the toolstack, an
     * administrator): watches and {@link #changeFeed()} listeners are told as of any change, and
     * what it removes is not a leak.
     *
     * @param path an absolute path other than {@code /}
     * @throws IllegalArgumentException when there is no such node
     * @throws io.netbuf.XenstoreException EINVAL for a malformed path or {@code /}
     */
    public void removeXenstore(String path) {
        FakeXenstore.checkPath("rm", path);
        xenstoreSetup(() -> {
            if (!store.exists(path)) {
                throw new IllegalArgumentException("no xenstore node " + path);
            }
            store.rm(path);
        });
    }

    /**
     * A domain dies: removes {@code /local/domain/<domid>} and {@code /libxl/<domid>} (with any claim
     * in it) as libxl does when it destroys a domain (see {@link #removeXenstore}). Its vifs are links:
     * {@link #removeLink} removes them.
     *
     * @param domid a guest's domain id (1 to 32751)
     * @throws IllegalArgumentException for another id, or when neither node exists
     */
    public void removeDomain(int domid) {
        if (domid < 1 || domid > MAX_GUEST_DOMID) {
            throw new IllegalArgumentException("not a guest's domain id: " + domid);
        }
        List<String> paths = List.of("/local/domain/" + domid, "/libxl/" + domid);
        xenstoreSetup(() -> {
            if (paths.stream().noneMatch(store::exists)) {
                throw new IllegalArgumentException("no domain " + domid + " in xenstore: no "
                        + String.join(" or ", paths));
            }
            paths.stream().filter(store::exists).forEach(store::rm);
        });
    }

    // ------------------------------------------------------------------ Host

    @Override
    public String description() {
        return "fake host (in-memory kernel and xenstore)";
    }

    @Override
    public Links links() {
        return links;
    }

    @Override
    public TrafficControl trafficControl() {
        return trafficControl;
    }

    @Override
    public Xenstore xenstore() {
        return xenstore;
    }

    @Override
    public HostLock lock() {
        return lock;
    }

    @Override
    public KernelFeatures features() {
        return features;
    }

    /**
     * @return the fake's processes: "this process" (which attaches and adopts own their buffers)
     *     and any a test starts, kills or replaces
     */
    @Override
    public FakeProcesses processes() {
        return processes;
    }

    /**
     * {@inheritDoc} The changes of {@link #fakeXenstore()}, the store behind {@link #xenstore()}:
     * subscribing is not a port operation, so it is neither logged nor faulted.
     */
    @Override
    public Optional<ChangeFeed> changeFeed() {
        return Optional.of(store);
    }

    // ------------------------------------------------------------------ traffic

    /**
     * @param vif a vif of this host
     * @return the guest behind it, to send frames from
     */
    public Guest guest(String vif) {
        if (kernel.find(vif).isEmpty()) {
            throw new IllegalArgumentException("no link " + vif);
        }
        return new Guest(vif);
    }

    /**
     * @param vif a vif
     * @return the frames that reached the host side of the vif so far, in order
     */
    public List<Frame> delivered(String vif) {
        return kernel.delivered(vif);
    }

    /**
     * @param vif a vif
     * @return the frames that reached the host side of the vif so far, which are then forgotten
     */
    public List<Frame> drainDelivered(String vif) {
        return kernel.drainDelivered(vif);
    }

    /** @return every frame that was not delivered (over the limit, device down, purged...), in order */
    public List<Drop> drops() {
        return kernel.drops();
    }

    /**
     * @param dev a device
     * @return the private state of its plug qdisc, if it has one
     */
    public Optional<PlugState> plugState(String dev) {
        return kernel.plugState(dev);
    }

    /**
     * @param dev a device
     * @return how IPv6 forms its address when it comes up, if the device exists
     */
    public Optional<Ipv6AddrGenMode> ipv6AddrGenMode(String dev) {
        return kernel.ipv6AddrGenMode(dev);
    }

    // ------------------------------------------------------------------ faults and calls

    /** @return the fault injection of this host */
    public Faults faults() {
        return interceptor.faults();
    }

    /**
     * Bounds the call log: it keeps the most recent {@code limit} calls (100,000 unless set), so a
     * long run stays in bounded memory without {@link #clearCalls()}.
     *
     * @param limit how many calls to keep, at least 1
     * @return this host
     * @throws IllegalArgumentException when {@code limit} is below 1
     */
    public FakeHost withCallLogLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("call log limit must be at least 1: " + limit);
        }
        interceptor.callLogLimit(limit);
        return this;
    }

    /** @return how many of the oldest calls the log has forgotten to stay within its limit */
    public long droppedCalls() {
        return interceptor.droppedCalls();
    }

    /** @return the names of the port operations called so far, in order (failed ones included) */
    public List<String> calls() {
        List<String> out = new ArrayList<>();
        for (Call c : interceptor.calls()) {
            out.add(c.operation());
        }
        return out;
    }

    /**
     * @return the port operations called so far (the most recent ones, see
     *     {@link #withCallLogLimit}) with their arguments and outcome, in order
     */
    public List<Call> callLog() {
        return interceptor.calls();
    }

    /** Forgets the call log (and the count of dropped calls). */
    public void clearCalls() {
        interceptor.clearCalls();
    }

    /** @return the xenstore behind {@link #xenstore()}, to inspect or change without logging or faults */
    public FakeXenstore fakeXenstore() {
        return store;
    }

    /** @return the host locks held now, with the name of the thread that took each */
    public Map<String, String> heldLocks() {
        return lock.held();
    }

    // ------------------------------------------------------------------ leak check

    /**
     * Records the current state as the clean one the leak check compares against.
     *
     * @return this
     */
    public FakeHost markClean() {
        synchronized (baselineLock) {
            baseline = facts();
        }
        return this;
    }

    /**
     * Compares links (and their up/down state), explicit qdiscs (the plug, ingress), redirect filters,
     * the xenstore tree and held locks with the clean state. Kernel default qdiscs (handle 0), which
     * the kernel attaches when a device first goes up, are not compared. Nor are xenstore nodes that
     * a write created only as missing parents of its node (e.g. {@code /libxl/5/remus/netbuf/0} when
     * {@code .../0/ifb} is written): they stay on a real host when the written node is removed, until
     * their owner removes them ({@code /libxl/<domid>} goes with the domain); a node written, made
     * or given permissions on purpose is compared.
     *
     * @return one line per difference, e.g. {@code "added: qdisc ifb0 root = plug"}; empty when clean
     */
    public List<String> leaks() {
        FakeXenstore.Contents xenstoreNow = store.contents();
        Map<String, String> now = facts(xenstoreNow);
        Map<String, String> then;
        synchronized (baselineLock) {
            then = baseline;
        }
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : now.entrySet()) {
            String before = then.get(e.getKey());
            if (before == null) {
                if (!isImplicitNode(e.getKey(), xenstoreNow)) {
                    out.add("added: " + e.getKey() + " = " + e.getValue());
                }
            } else if (!before.equals(e.getValue())) {
                out.add("changed: " + e.getKey() + " = " + e.getValue() + " (was " + before + ")");
            }
        }
        for (Map.Entry<String, String> e : then.entrySet()) {
            if (!now.containsKey(e.getKey())) {
                out.add("removed: " + e.getKey() + " (was " + e.getValue() + ")");
            }
        }
        return out;
    }

    /**
     * Fails when {@link #leaks()} finds anything.
     *
     * @throws AssertionError naming every leak
     */
    public void assertClean() {
        List<String> leaks = leaks();
        if (!leaks.isEmpty()) {
            throw new AssertionError("the fake host is not back to its clean state:\n  " + String.join("\n  ", leaks));
        }
    }

    @Override
    public String toString() {
        return "FakeHost" + facts();
    }

    private Map<String, String> facts() {
        return facts(store.contents());
    }

    private Map<String, String> facts(FakeXenstore.Contents xenstoreNow) {
        Map<String, String> out = new TreeMap<>(kernel.facts());
        out.putAll(xenstoreFacts(xenstoreNow));
        lock.held().forEach((name, thread) -> out.put("lock " + name, "held by thread " + thread));
        return out;
    }

    private static Map<String, String> xenstoreFacts(FakeXenstore.Contents contents) {
        Map<String, String> out = new TreeMap<>();
        contents.values().forEach((path, value) -> out.put(XENSTORE_FACT + path, value));
        return out;
    }

    private static boolean isImplicitNode(String fact, FakeXenstore.Contents contents) {
        return fact.startsWith(XENSTORE_FACT) && contents.implicit().contains(fact.substring(XENSTORE_FACT.length()));
    }

    /** Runs a set-up change of the kernel and makes what it did part of the clean state. */
    private void kernelSetup(Runnable change) {
        absorb(kernel.atomically(() -> Change.of(kernel::facts, change)));
    }

    /** Runs a set-up change of the xenstore and makes what it did part of the clean state. */
    private void xenstoreSetup(Runnable change) {
        absorb(store.atomically(() -> Change.of(() -> xenstoreFacts(store.contents()), change)));
    }

    /**
     * Moves the clean state by what a set-up change did: facts it added or removed, and nodes it
     * wrote. A kernel fact whose value changed is only a consequence (a filter shows its target
     * gone), so it follows when it was clean and stays a leak when it was one.
     */
    private void absorb(Change change) {
        synchronized (baselineLock) {
            Map<String, String> next = new TreeMap<>(baseline);
            Set<String> keys = new TreeSet<>(change.before().keySet());
            keys.addAll(change.after().keySet());
            for (String key : keys) {
                String was = change.before().get(key);
                String now = change.after().get(key);
                if (now == null) {
                    next.remove(key);
                } else if (!now.equals(was) && (was == null || key.startsWith(XENSTORE_FACT)
                        || was.equals(next.get(key)))) {
                    next.put(key, now);
                }
            }
            baseline = next;
        }
    }

    /**
     * The facts of one part of the host before and after a set-up change, measured with nothing else
     * changing that part in between: what the code under test does meanwhile is not set-up.
     */
    private record Change(Map<String, String> before, Map<String, String> after) {
        static Change of(Supplier<Map<String, String>> facts, Runnable change) {
            Map<String, String> before = facts.get();
            change.run();
            return new Change(before, facts.get());
        }
    }

    private static List<String> tools(String tool) {
        if ("xenstore".equals(tool)) {
            return PortOperation.TOOL_PACKAGES.keySet().stream().filter(t -> t.startsWith("xenstore-")).toList();
        }
        if (tool == null || !PortOperation.TOOL_PACKAGES.containsKey(tool)) {
            throw new IllegalArgumentException("unknown tool '" + tool + "'; known: xenstore, "
                    + new TreeSet<>(PortOperation.TOOL_PACKAGES.keySet()));
        }
        return List.of(tool);
    }

    /** The guest behind one vif: sends frames into it. */
    public final class Guest {
        private final String vif;

        private Guest(String vif) {
            this.vif = vif;
        }

        /**
         * Sends frames, in order, into the vif.
         *
         * @param frames the frames
         * @return this
         */
        public Guest send(Frame... frames) {
            for (Frame f : frames) {
                kernel.send(vif, Objects.requireNonNull(f, "frame"));
            }
            return this;
        }

        /**
         * Sends an IPv4 frame with the next id of this host.
         *
         * @param length its full length in bytes
         * @return the frame sent
         */
        public Frame sendIpv4(int length) {
            Frame f = Frame.ipv4(frameIds.incrementAndGet(), length);
            send(f);
            return f;
        }

        /**
         * Sends an IPv6 frame with the next id of this host.
         *
         * @param length its full length in bytes
         * @return the frame sent
         */
        public Frame sendIpv6(int length) {
            Frame f = Frame.ipv6(frameIds.incrementAndGet(), length);
            send(f);
            return f;
        }

        /**
         * Sends an ARP frame with the next id of this host.
         *
         * @return the frame sent
         */
        public Frame sendArp() {
            Frame f = Frame.arp(frameIds.incrementAndGet());
            send(f);
            return f;
        }

        /** @return the frames delivered from this guest so far */
        public List<Frame> delivered() {
            return kernel.delivered(vif);
        }
    }
}
