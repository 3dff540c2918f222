package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingToolException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.PlugFailedException;
import io.netbuf.ReapFinding;
import io.netbuf.ReapReport;
import io.netbuf.RedirectFailedException;
import io.netbuf.XenstoreException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.tools.ToolsLinks;
import io.netbuf.impl.tools.ToolsTrafficControl;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.HostLock;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults on the real kernel, in a throwaway namespace, through both backends, with the testkit
 * xenstored over its socket and the flock lock in a temporary directory: each ends in the right
 * typed exception or a clean recovery, with nothing left behind. Where a fault needs a buffer that
 * really attached, the kernel's missing sch_plug is replaced by {@link PlugStandIn} (a real pfifo).
 */
class FaultsIT {
    private static final String VIF = "vif5.0";
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    @TempDir
    Path lockDir;
    private Netns ns;
    private XenstoredServer xenstored;
    private XenstoreClient client;
    private Map<String, String> storeBefore;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        ns = Netns.create("nbfault");
        xenstored = XenstoredServer.start();
        xenstored.store().write("/local/domain/5/name", "guest5");
        xenstored.store().mkdir(XENBUS);
        storeBefore = xenstored.store().snapshot();
        client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(2));
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

    private void addVif() {
        ns.ip("link", "add", VIF, "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", VIF, "up");
        ns.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, VIF);
        KernelState.awaitOperUp(ns, "guest0");
    }

    /**
     * An IFB in the state a torn-down buffer leaves it: it was up once and had a root qdisc deleted
     * while down. The kernel then shows {@code noop} until the next up restores the default
     * ({@code pfifo_fast}); neither netbuf nor anyone else can undo that, so tests start there.
     */
    private void addUsedIfb(String name) {
        ns.ip("link", "add", name, "type", "ifb");
        ns.ip("link", "set", name, "up");
        ns.ip("link", "set", name, "down");
        ns.tc("qdisc", "add", "dev", name, "root", "handle", "1:", "bfifo", "limit", "1000");
        ns.tc("qdisc", "del", "dev", name, "root");
    }

    private void assertLockFree() throws IOException {
        try (HostLock.Held held = new FlockHostLock(lockDir).acquire(HostLock.PICK_IFB, Duration.ofMillis(200))) {
            assertTrue(held.toString().contains("held"));
        }
    }

    static Stream<Arguments> deletionPoints() {
        return Stream.of(SystemHost.Backend.NATIVE, SystemHost.Backend.TOOLS).flatMap(b -> Stream.of(
                Arguments.of(b, "links.setUp", RedirectFailedException.class),
                Arguments.of(b, "trafficControl.addIngress", RedirectFailedException.class),
                Arguments.of(b, "trafficControl.addRedirect", RedirectFailedException.class),
                Arguments.of(b, "trafficControl.addPlug", PlugFailedException.class)));
    }

    @ParameterizedTest(name = "{0}: IFB deleted before {1}")
    @MethodSource("deletionPoints")
    void theIfbDeletedMidAttachEndsTypedAndRolledBack(SystemHost.Backend backend, String before,
            Class<? extends NetworkBufferException> expected) throws Exception {
        addVif();
        String clean = KernelState.dump(ns);
        AtomicBoolean deleted = new AtomicBoolean();
        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            BasicHost host = ComposedHost.intercepted(ComposedHost.of(system, client, true, ns.name()), (op, args) -> {
                if (op.equals(before) && !deleted.get() && !system.links().ifbs().isEmpty()) {
                    ns.ip("link", "del", system.links().ifbs().get(0).name());
                    deleted.set(true);
                }
            });
            NetworkBufferException e = assertThrows(NetworkBufferException.class,
                    () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
            assertTrue(deleted.get(), "the IFB was deleted before " + before);
            assertInstanceOf(expected, e, e.toString());
            assertEquals(Optional.of(VIF), e.vif());
            KernelState.assertRestored(ns, clean, "rolled back: no ingress on the vif, the created IFB gone");
            assertFalse(client.exists(XENBUS + "/ifb"), "the claim is undone");
            assertEquals(Optional.of("error"), client.read(XENBUS + "/hotplug-status"));
            assertTrue(NetworkBuffer.reap(host).isClean());
        }
        assertLockFree();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void theVifRemovedWhileAttachedStillClosesCleanly(SystemHost.Backend backend) throws Exception {
        addUsedIfb("ifb0");
        String withoutVif = KernelState.dump(ns);
        addVif();
        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            BasicHost host = ComposedHost.of(system, client, true, ns.name());
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            assertEquals("ifb0", buffer.ifb());
            buffer.checkpoint();
            ns.ip("link", "del", VIF);
            buffer.commit();
            buffer.checkpoint();
            buffer.close();
            KernelState.assertRestored(ns, withoutVif, "only the vif (gone with its guest) differs");
            assertEquals(storeBefore, xenstored.store().snapshot());
            assertTrue(NetworkBuffer.reap(host).isClean());
        }
        assertLockFree();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void theVifAndItsDomainGoneWhileTheControllerIsDownAreReaped(SystemHost.Backend backend) throws Exception {
        addUsedIfb("ifb0");
        String withoutVif = KernelState.dump(ns);
        addVif();
        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            BasicHost host = ComposedHost.of(system, client, true, ns.name());
            NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach(); // the controller then dies
            ns.ip("link", "del", VIF);
            client.rm("/local/domain/5");
            ReapReport report = NetworkBuffer.reap(host);
            assertEquals(List.of(new ReapFinding(ReapFinding.Kind.STALE_CLAIM, XENBUS, null, "ifb0"),
                    new ReapFinding(ReapFinding.Kind.ORPHAN_PLUG, null, null, "ifb0")), report.findings());
            assertEquals(report.findings(), report.apply());
            KernelState.assertRestored(ns, withoutVif, "the orphan plug is gone and its IFB down");
            assertFalse(client.exists(XENBUS + "/ifb"));
            assertFalse(client.exists(XENBUS + "/hotplug-status"));
            assertTrue(NetworkBuffer.reap(host).isClean());
        }
        assertLockFree();
    }

    @ParameterizedTest(name = "{0} missing from PATH")
    @ValueSource(strings = {"ip", "tc"})
    void aToolMissingFromPathIsTypedAndChangesNothingInTheKernel(String missing) throws Exception {
        addUsedIfb("ifb0");
        addVif();
        String clean = KernelState.dump(ns);
        Path bin = Files.createTempDirectory("netbuf-path");
        try {
            for (String tool : List.of("ip", "tc")) {
                if (!tool.equals(missing)) {
                    Files.createSymbolicLink(bin.resolve(tool), Path.of(Netns.sh("sh", "-c", "command -v " + tool).strip()));
                }
            }
            CommandRunner runner = new CommandRunner(Duration.ofSeconds(10), Map.of("PATH", bin.toString()));
            BasicHost host = new BasicHost("tools with PATH=" + bin, new ToolsLinks(runner, ns.name()),
                    new ToolsTrafficControl(runner, ns.name()), client, new FlockHostLock(lockDir),
                    ComposedHost.TRUSTING);
            MissingToolException e = assertThrows(MissingToolException.class,
                    () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
            assertEquals(missing, e.tool());
            assertEquals("iproute2", e.debianPackage());
            assertEquals(clean, KernelState.dump(ns), "nothing changed in the kernel");
            assertFalse(client.exists(XENBUS + "/ifb"), "no claim made");
            assertTrue(client.read(XENBUS + "/hotplug-error").orElseThrow().contains("'" + missing + "'"));
            MissingToolException reap = assertThrows(MissingToolException.class, () -> NetworkBuffer.reap(host));
            assertEquals(missing, reap.tool());
            assertEquals(clean, KernelState.dump(ns));
        } finally {
            try (Stream<Path> files = Files.list(bin)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(bin);
        }
        assertLockFree();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void xenstoredStoppingMidRunFailsTypedAndTheRetriedCloseFinishesAfterItsRestart(SystemHost.Backend backend)
            throws Exception {
        addUsedIfb("ifb0");
        addVif();
        String clean = KernelState.dump(ns);
        try (SystemHost system = ComposedHost.system(backend, ns.name(), lockDir)) {
            BasicHost host = ComposedHost.of(system, client, true, ns.name());
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            xenstored.stop();
            buffer.checkpoint();
            buffer.commit();
            XenstoreException down = assertThrows(XenstoreException.class, buffer::close);
            assertEquals("EIO", down.errno());
            assertTrue(buffer.isClosed());
            KernelState.assertRestored(ns, clean, "the kernel side is torn down although xenstore is away");
            assertEquals(Optional.of("ifb0"), xenstored.store().read(XENBUS + "/ifb"), "the claim is still there");

            XenstoreException attachWhileDown = assertThrows(XenstoreException.class,
                    () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
            assertEquals("EIO", attachWhileDown.errno());
            assertEquals(clean, KernelState.dump(ns), "an attach without xenstore changes nothing");

            xenstored.restart();
            buffer.close(); // the retry finishes what the first close could not
            assertEquals(storeBefore, xenstored.store().snapshot());
            try (NetworkBuffer again = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
                again.checkpoint();
                again.commit();
            }
            KernelState.assertRestored(ns, clean, "after the restart attach and close work as usual");
            assertEquals(storeBefore, xenstored.store().snapshot());
            assertTrue(NetworkBuffer.reap(host).isClean());
        }
        assertLockFree();
    }

    @Test
    void theLockFileRemovedBySomeoneElseWhileWaitingIsRecreatedAndStillExcludes() throws Exception {
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/flock")), "flock(1) from util-linux");
        Path file = lockDir.resolve(HostLock.PICK_IFB);
        // A Xen script holds the lock (flock on the file) for a second.
        Process holder = new ProcessBuilder("flock", "-x", file.toString(), "sleep", "1.5").start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (exitOf("flock", "-n", file.toString(), "true") == 0) {
            assertTrue(System.nanoTime() < deadline, "the holder never took the lock");
            Thread.sleep(20);
        }
        ExecutorService waiter = Executors.newSingleThreadExecutor();
        try {
            Future<HostLock.Held> waiting = waiter.submit(
                    () -> new FlockHostLock(lockDir).acquire(HostLock.PICK_IFB, Duration.ofSeconds(20)));
            Thread.sleep(200);
            assertFalse(waiting.isDone(), "netbuf waits while the script holds the lock");
            Files.delete(file); // someone else removes the file while netbuf waits on its inode
            try (HostLock.Held held = waiting.get(20, TimeUnit.SECONDS)) {
                assertTrue(holder.waitFor(5, TimeUnit.SECONDS));
                assertTrue(Files.exists(file), "netbuf locked a fresh file at the path");
                assertNotEquals(0, exitOf("flock", "-n", file.toString(), "true"),
                        "the fresh file is really locked: a script cannot take it now");
            }
            assertEquals(0, exitOf("flock", "-n", file.toString(), "true"), "released (the file stays)");
        } finally {
            waiter.shutdownNow();
            holder.destroyForcibly();
        }
    }

    private static int exitOf(String... argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), String.join(" ", argv));
        return p.exitValue();
    }
}
