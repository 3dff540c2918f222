package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.ReapFinding;
import io.netbuf.ReapReport;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.HostLock;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A controller JVM killed with SIGKILL in the middle of attach, at several points, on the real
 * kernel (both backends; {@link PlugStandIn} for the plug) with the testkit xenstored shared over
 * its socket and the flock lock in a shared temporary directory: the lock is free at once, and
 * reap (or, for a buffer that was complete and so is found orphaned, adopt + close) restores the
 * namespace and XenStore.
 */
class CrashIT {
    private static final String VIF = "vif5.0";
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    @TempDir
    Path lockDir;
    private Netns ns;
    private XenstoredServer xenstored;
    private XenstoreClient client;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        ns = Netns.create("nbcrash");
        ns.ip("link", "add", "ifb0", "type", "ifb");
        ns.ip("link", "add", VIF, "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", VIF, "up");
        ns.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, VIF);
        xenstored = XenstoredServer.start();
        xenstored.store().write("/local/domain/5/name", "guest5");
        xenstored.store().mkdir(XENBUS);
        client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(5));
    }

    @AfterEach
    void tearDown() {
        if (client != null) {
            client.close();
        }
        if (xenstored != null) {
            xenstored.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    static Stream<Arguments> points() {
        return Stream.of(SystemHost.Backend.NATIVE, SystemHost.Backend.TOOLS).flatMap(b -> Stream.of(
                Arguments.of(b, "trafficControl.addPlug"), // claimed in xenstore, no plug yet, IFB down
                Arguments.of(b, "links.setUp"), // plug on the IFB, still down, no redirect
                Arguments.of(b, "trafficControl.addRedirect"), // IFB up, ingress qdisc on the vif, no filter
                Arguments.of(b, "trafficControl.addRedirect:after"))); // complete, lock still held
    }

    @ParameterizedTest(name = "{0}: SIGKILL at {1}")
    @MethodSource("points")
    void aKilledAttachLeavesTheLockFreeAndIsRecovered(SystemHost.Backend backend, String point) throws Exception {
        String clean = KernelState.dump(ns);
        Map<String, String> storeBefore = xenstored.store().snapshot();
        Process child = ChildJvm.start(List.of("crash", backend.name(), ns.name(), lockDir.toString(),
                xenstored.socketPath().toString(), point, VIF, XENBUS));
        try (BufferedReader out = ChildJvm.stdout(child)) {
            String line = CompletableFuture.supplyAsync(() -> {
                try {
                    return out.readLine();
                } catch (java.io.IOException e) {
                    return "read failed: " + e;
                }
            }).get(60, TimeUnit.SECONDS);
            assertEquals("BLOCKED " + point, line);
        } finally {
            child.destroyForcibly(); // SIGKILL
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL");

        long start = System.nanoTime();
        try (HostLock.Held held = new FlockHostLock(lockDir).acquire(HostLock.PICK_IFB, Duration.ofMillis(500))) {
            System.out.printf("crash at %s (%s): lock taken %d us after the kill%n", point, backend,
                    (System.nanoTime() - start) / 1000);
        }

        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            BasicHost host = ComposedHost.of(system, client, true, ns.name());
            ReapReport report = NetworkBuffer.reap(host);
            System.out.printf("crash at %s (%s): reap found %s%n", point, backend,
                    report.findings().stream().map(ReapFinding::describe).toList());
            if (point.endsWith(":after")) {
                // Complete, but its owner (the killed JVM, recorded beside the claim) is dead.
                assertEquals(List.of(ReapFinding.Kind.ORPHANED_BUFFER),
                        report.findings().stream().map(ReapFinding::kind).toList(), report.toString());
                assertEquals(String.valueOf(child.pid()), report.findings().get(0).owner().split("[ =]")[1],
                        "the owner is the killed JVM");
                // A restarted controller takes it over first: it owns it now, so the report's apply leaves it.
                NetworkBuffer adopted = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt();
                assertEquals(List.of(), report.apply(), "an adopted buffer is never reaped");
                assertTrue(NetworkBuffer.reap(host).isClean(), "its owner lives");
                adopted.checkpoint();
                adopted.commit();
                adopted.close();
            } else {
                assertTrue(!report.isClean(), "the half-done attach is found");
                assertEquals(report.findings(), report.apply());
            }
            CleanState.assertClean(ns, clean, "the namespace is back to its state before the attach");
            assertEquals(storeBefore, xenstored.store().snapshot(), "xenstore is back to its state before");
            assertTrue(NetworkBuffer.reap(host).isClean());
            try (NetworkBuffer next = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
                assertEquals("ifb0", next.ifb(), "the next attach gets the IFB back");
            }
            CleanState.assertClean(ns, clean, "and closes cleanly");
        }
    }
}
