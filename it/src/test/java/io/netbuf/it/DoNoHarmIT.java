package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.ReapFinding;
import io.netbuf.ReapReport;
import io.netbuf.XenstoreException;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Link;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Issue #15 on the real kernel, in throwaway namespaces, through both backends: netbuf changes only
 * IFBs, only its own redirect filter and the ingress qdisc it added; and after any attach or close
 * step fails, the guest (a veth peer in its own namespace) still reaches dom0.
 */
class DoNoHarmIT {
    private static final String VIF = "vif5.0";
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";
    private static final String DOM0_IP = "10.77.0.1";

    @TempDir
    Path lockDir;
    private Netns ns;
    private Netns guest;
    private XenstoredServer xenstored;
    private XenstoreClient client;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        start();
    }

    private void start() {
        ns = Netns.create("nbharm");
        xenstored = XenstoredServer.start();
        xenstored.store().write("/local/domain/5/name", "guest5");
        xenstored.store().mkdir(XENBUS);
        client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(2));
    }

    @AfterEach
    void tearDown() {
        stop();
    }

    private void stop() {
        if (client != null) {
            client.close();
        }
        if (xenstored != null) {
            xenstored.close();
        }
        if (guest != null) {
            guest.close();
            guest = null;
        }
        if (ns != null) {
            ns.close();
        }
    }

    /** The vif with its guest end in a namespace of its own, addressed, and one used IFB. */
    private void addGuest() {
        guest = Netns.create("nbguest");
        ns.ip("link", "add", VIF, "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", "guest0", "netns", guest.name());
        ns.ip("addr", "add", DOM0_IP + "/24", "dev", VIF);
        ns.ip("link", "set", VIF, "up");
        guest.ip("addr", "add", "10.77.0.2/24", "dev", "guest0");
        guest.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, VIF);
        ns.ip("link", "add", "ifb0", "type", "ifb");
    }

    /** An administrator's host: eth0 with its own mirror and redirect, IFBs used by others. */
    private void addAdminSetup() {
        ns.ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth0p");
        ns.ip("link", "add", "eth1", "type", "veth", "peer", "name", "eth1p");
        for (String dev : List.of("eth0", "eth0p", "eth1", "eth1p")) {
            ns.ip("link", "set", dev, "up");
        }
        for (String ifb : List.of("ifb7", "ifb8", "ifb9")) {
            ns.ip("link", "add", ifb, "type", "ifb");
            ns.ip("link", "set", ifb, "up");
        }
        ns.tc("qdisc", "add", "dev", "eth0", "ingress");
        ns.tc("filter", "add", "dev", "eth0", "parent", "ffff:", "protocol", "all", "prio", "1", "u32", "match", "u32",
                "0", "0", "action", "mirred", "egress", "mirror", "dev", "ifb8");
        ns.tc("filter", "add", "dev", "eth0", "parent", "ffff:", "protocol", "all", "prio", "10", "u32", "match", "u32",
                "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb7");
        ns.tc("qdisc", "add", "dev", "eth1", "ingress");
        ns.tc("filter", "add", "dev", "eth1", "parent", "ffff:", "protocol", "ip", "prio", "10", "u32", "match", "ip",
                "dst", "10.0.0.1/32", "action", "mirred", "egress", "redirect", "dev", "ifb9");
        ns.tc("qdisc", "add", "dev", "ifb9", "root", "handle", "1:", "tbf", "rate", "1mbit", "burst", "10k",
                "latency", "50ms");
        ns.tc("qdisc", "add", "dev", "eth0p", "ingress"); // an empty ingress qdisc of someone's
    }

    /**
     * The namespace's links, qdiscs and filters ({@link KernelState#dump}) without what traffic
     * changes by itself: {@code used_hw_stats}, which the kernel reports once an action has seen a
     * packet (the veths' own IPv6 traffic passes the administrator's filters).
     */
    private String state() {
        return KernelState.dump(ns).replaceAll(",\"used_hw_stats\":\\[[^\\]]*\\]", "");
    }

    private BasicHost host(SystemHost system) {
        return ComposedHost.of(system, client, true, ns.name());
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void teardownNamingANonIfbDeviceLeavesItAlone(SystemHost.Backend backend) {
        addGuest();
        addAdminSetup();
        String before = state();
        client.write(XENBUS + "/ifb", "eth0");
        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host(system)).teardown("eth0");
            NetworkBuffer.forVif("eth1").on(host(system)).teardown("lo");
            NetworkBuffer.forVif("eth0p").on(host(system)).teardown(null);
        }
        assertEquals(before, state(), "eth0, lo and every filter and qdisc unchanged");
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void reapLeavesTheAdminsFiltersAndIfbsByteForByteAndRemovesOnlyNetbufsLeftovers(SystemHost.Backend backend) {
        addGuest();
        addAdminSetup();
        ns.tc("qdisc", "add", "dev", VIF, "ingress");
        ns.tc("filter", "add", "dev", VIF, "parent", "ffff:", "protocol", "all", "prio", "1", "u32", "match", "u32",
                "0", "0", "action", "mirred", "egress", "mirror", "dev", "ifb8");
        ns.ip("link", "set", "ifb0", "up"); // the kernel's default root stays on it from now on
        ns.ip("link", "set", "ifb0", "down");
        String before = state();
        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            BasicHost host = host(system);
            ReapReport report = NetworkBuffer.reap(host);
            assertTrue(report.isClean(), report.toString());
            assertEquals(List.of(), report.apply());
            assertEquals(before, state(), "nothing of the administrator's changed");

            // An attach that died after its redirect and before its plug, on a vif with the admin's mirror.
            client.write(XENBUS + "/ifb", "ifb0");
            ns.ip("link", "set", "ifb0", "up");
            ns.tc("filter", "add", "dev", VIF, "parent", "ffff:", "protocol", "all", "prio", "10", "u32", "match",
                    "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb0");
            report = NetworkBuffer.reap(host);
            assertEquals(List.of(new ReapFinding(ReapFinding.Kind.UNPLUGGED_CLAIM, XENBUS, null, "ifb0"),
                    new ReapFinding(ReapFinding.Kind.DANGLING_REDIRECT, null, VIF, "ifb0")), report.findings());
            assertEquals(report.findings(), report.apply());
            assertEquals(before, state(), "only netbuf's filter and claim went; the admin's stay");
            assertFalse(client.exists(XENBUS + "/ifb"));
        }
    }

    /** Reports every port call and throws at the chosen one. */
    private static final class Injector implements ComposedHost.Hook {
        final List<String> seen = new ArrayList<>();
        final String target;
        final int nth;
        final AtomicInteger count = new AtomicInteger();
        volatile boolean armed;

        Injector(String target, int nth, boolean armed) {
            this.target = target;
            this.nth = nth;
            this.armed = armed;
        }

        @Override
        public void before(String operation, Object[] args) {
            seen.add(operation);
            if (armed && operation.equals(target) && count.incrementAndGet() == nth) {
                if (operation.startsWith("xenstore.")) {
                    throw new XenstoreException(operation, XENBUS, "EIO", "injected", null);
                }
                throw OperationFailedException.ofErrno(operation, 5, "injected EIO", VIF, null);
            }
        }
    }

    private List<String> operationsOf(boolean close) {
        addGuest();
        try (SystemHost system = ComposedHost.system(SystemHost.Backend.NATIVE, ns.name(), lockDir)) {
            Injector recorder = new Injector("", 0, false);
            BasicHost host = ComposedHost.intercepted(host(system), recorder);
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            List<String> attach = List.copyOf(recorder.seen);
            recorder.seen.clear();
            buffer.close();
            return close ? List.copyOf(recorder.seen) : attach;
        } finally {
            stop();
            start();
        }
    }

    @TestFactory
    Stream<DynamicTest> everyFailedAttachOrCloseStepLeavesTheGuestConnected() {
        Requirements.netns();
        List<DynamicTest> tests = new ArrayList<>();
        for (boolean close : List.of(false, true)) {
            List<String> ops = operationsOf(close);
            assertTrue(ops.size() >= 5, ops.toString());
            for (int i = 0; i < ops.size(); i++) {
                String op = ops.get(i);
                int nth = (int) ops.subList(0, i + 1).stream().filter(op::equals).count();
                tests.add(DynamicTest.dynamicTest((close ? "close" : "attach") + " failing at step " + (i + 1) + " "
                        + op, () -> failAndCheckTheGuest(close, op, nth)));
            }
        }
        return tests.stream();
    }

    private void failAndCheckTheGuest(boolean close, String op, int nth) {
        stop();
        start();
        addGuest();
        assertGuestReachesDom0("before anything");
        try (SystemHost system = ComposedHost.system(SystemHost.Backend.NATIVE, ns.name(), lockDir)) {
            Injector injector = new Injector(op, nth, !close);
            BasicHost host = ComposedHost.intercepted(host(system), injector);
            if (close) {
                NetworkBuffer owned = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
                assertGuestReachesDom0("while attached");
                injector.armed = true;
                try {
                    owned.close();
                    fail("close did not report the failure of " + op);
                } catch (NetworkBufferException expected) {
                    assertNoRedirectIntoADownOrMissingIfb(system, op);
                    assertGuestReachesDom0("after close failed at " + op);
                }
                injector.armed = false;
                owned.close(); // a second close finishes
            } else {
                assertThrows(NetworkBufferException.class,
                        () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
                assertNoRedirectIntoADownOrMissingIfb(system, op);
                assertGuestReachesDom0("after attach failed at " + op);
            }
            assertTrue(host(system).trafficControl().ingressFilters(VIF).isEmpty(), "nothing left on " + VIF);
        }
    }

    private void assertNoRedirectIntoADownOrMissingIfb(SystemHost system, String op) {
        for (IngressFilter f : system.trafficControl().ingressFilters(VIF)) {
            assertTrue(f.target() != null, "a redirect into a missing device after " + op + ": " + f);
            Optional<Link> target = system.links().find(f.target());
            assertTrue(target.map(Link::up).orElse(false), "a redirect into down " + f.target() + " after " + op);
        }
    }

    private void assertGuestReachesDom0(String when) {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                guest.exec("ping", "-c", "1", "-W", "1", DOM0_IP);
                return;
            } catch (IllegalStateException unreachable) {
                // ARP may need a moment on a fresh veth: try again (bounded)
            }
        }
        fail("the guest cannot reach dom0 " + when + ":\n" + KernelState.dump(ns));
    }
}
