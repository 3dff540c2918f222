package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static io.netbuf.it.LabDomain.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netbuf.NetworkBuffer;
import io.netbuf.event.Attached;
import io.netbuf.event.BufferEvent;
import io.netbuf.event.BufferListener;
import io.netbuf.event.Checkpointed;
import io.netbuf.event.Closed;
import io.netbuf.event.Committed;
import io.netbuf.event.DropCause;
import io.netbuf.event.Dropped;
import io.netbuf.event.LimitChanged;
import io.netbuf.event.ReleasedIndefinitely;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.micrometer.NetbufMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Observing and driving a buffer on the real plug: the listener's events (order, epochs, what each
 * commit released, drops by cause) and the Micrometer binder, then the command line's
 * {@code netbuf buffer VIF ...} verbs acting on a buffer with real traffic.
 */
class BufferEventsLabIT {
    private static final int SMALL = 100;
    private static final int LARGE = 1400;

    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    /** Keeps every event, in the order delivered. */
    private static final class Events implements BufferListener {
        private final LinkedBlockingQueue<BufferEvent> queue = new LinkedBlockingQueue<>();

        @Override
        public void onAttach(Attached e) {
            queue.add(e);
        }

        @Override
        public void onCheckpoint(Checkpointed e) {
            queue.add(e);
        }

        @Override
        public void onCommit(Committed e) {
            queue.add(e);
        }

        @Override
        public void onReleaseIndefinitely(ReleasedIndefinitely e) {
            queue.add(e);
        }

        @Override
        public void onLimitChange(LimitChanged e) {
            queue.add(e);
        }

        @Override
        public void onDrop(Dropped e) {
            queue.add(e);
        }

        @Override
        public void onClose(Closed e) {
            queue.add(e);
        }

        <T extends BufferEvent> T next(Class<T> type) throws InterruptedException {
            BufferEvent e = queue.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "no " + type.getSimpleName() + " event within 10 s");
            return assertInstanceOf(type, e);
        }
    }

    @Test
    void theListenerIsToldEveryEpochWithWhatTheKernelReleased() throws InterruptedException {
        Events events = new Events();
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        NetbufMetrics metrics = new NetbufMetrics();
        metrics.bindTo(registry);
        long released;
        try (LabDomain domain = LabDomain.create(1); SystemHost host = domain.host(SystemHost.Backend.NATIVE)) {
            try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).listener(events).on(host)
                    .attach()) {
                metrics.monitor(buffer);
                Attached attached = events.next(Attached.class);
                assertEquals(1, attached.buffer().domain().getAsInt());
                assertEquals("ifb0", attached.buffer().ifb());

                domain.send(1, false, SMALL);
                domain.send(2, true, SMALL);
                buffer.checkpoint();
                domain.send(3, false, SMALL);
                buffer.commit();
                assertEquals(List.of(1, 2), domain.arrived(2), "epoch 1");
                assertEquals(1, events.next(Checkpointed.class).epoch());
                Committed first = events.next(Committed.class);
                assertEquals(1, first.epoch());
                buffer.checkpoint();
                buffer.commit();
                assertEquals(List.of(3), domain.arrived(1), "epoch 2");
                assertEquals(2, events.next(Checkpointed.class).epoch());
                Committed second = events.next(Committed.class);
                // The kernel dequeues a released epoch in its softirq: normally before the ack, else the
                // packets are counted by the next commit. Never lost, never twice:
                assertEquals(3, first.packets() + second.packets(), first + " then " + second);
                assertEquals(3L * SMALL, first.bytes() + second.bytes(), first + " then " + second);
                assertTrue(first.packets() <= 2, "commit 1 released at most epoch 1: " + first);
                assertTrue(second.checkpointToCommit().toNanos() > 0);
                assertEquals(second, buffer.lastCommit().orElseThrow());

                buffer.changeLimit(1000);
                assertEquals(1000, events.next(LimitChanged.class).limitBytes());
                domain.send(4, false, LARGE); // over the limit
                domain.send(5, false, SMALL);
                buffer.checkpoint();
                buffer.commit();
                assertEquals(List.of(5), domain.arrived(1));
                assertEquals(3, events.next(Checkpointed.class).epoch());
                Dropped overLimit = events.next(Dropped.class);
                assertEquals(DropCause.OVER_LIMIT, overLimit.cause());
                assertEquals(1, overLimit.packets());
                Committed third = events.next(Committed.class);
                assertEquals(3, third.epoch());
                released = first.packets() + second.packets() + third.packets();

                domain.send(6, false, SMALL); // held at close: purged
                assertEquals(1, buffer.stats().backlogPackets());
                assertEquals(1.0, registry.get("netbuf.backlog.packets").tag("vif", VIF).gauge().value());
            }
            Dropped purged = events.next(Dropped.class);
            assertEquals(DropCause.PURGED, purged.cause());
            assertEquals(1, purged.packets());
            assertEquals(SMALL, purged.bytes());
            assertEquals(3, events.next(Closed.class).epochs());
            assertEquals(3.0, registry.get("netbuf.epochs").tag("vif", VIF).counter().count());
            assertEquals(released, registry.get("netbuf.released.packets").tag("vif", VIF).counter().count(),
                    "the binder counts what the events report");
            assertEquals(1.0, registry.get("netbuf.drops").tag("cause", "over_limit").counter().count());
        }
    }

    @Test
    void theCommandLineVerbsDriveABufferWithRealTraffic() throws Exception {
        Path jar = RepoLayout.root().resolve("cli/target/netbuf.jar");
        Requirements.require(Files.isRegularFile(jar), "the command line's jar " + jar
                + " (build it first: mvn -pl cli -am package)");
        try (LabDomain domain = LabDomain.create(1); SystemHost host = domain.host(SystemHost.Backend.NATIVE)) {
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            try {
                domain.send(1, false, SMALL);
                domain.send(2, true, SMALL);
                assertEquals(0, netbuf(domain, jar, "buffer", VIF, "checkpoint").status, "checkpoint");
                domain.send(3, false, SMALL);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "a checkpoint releases nothing");
                Run commit = netbuf(domain, jar, "buffer", VIF, "commit", "--json");
                assertEquals(0, commit.status, commit.err);
                assertEquals(List.of(1, 2), domain.arrived(2), "exactly the closed epoch");
                assertTrue(commit.out.contains("\"action\": \"commit\""), commit.out);
                assertTrue(commit.out.contains("\"before\": {\"backlogBytes\": " + 3 * SMALL), commit.out);

                Run release = netbuf(domain, jar, "buffer", VIF, "release");
                assertEquals(0, release.status, release.err);
                assertEquals(List.of(3), domain.arrived(1), "released indefinitely");
                domain.send(4, false, SMALL);
                assertEquals(List.of(4), domain.arrived(1), "traffic passes");

                Run limit = netbuf(domain, jar, "buffer", VIF, "limit", "1000");
                assertEquals(0, limit.status, limit.err);
                assertEquals(0, netbuf(domain, jar, "buffer", VIF, "checkpoint").status);
                domain.send(5, false, LARGE);
                assertEquals(1, buffer.stats().drops(), "the new limit applies: over it is dropped");

                Run missing = netbuf(domain, jar, "buffer", "vif9.0", "commit");
                assertEquals(1, missing.status, missing.err);
                assertTrue(missing.err.contains("BufferStateMismatchException"), missing.err);
                Run status = netbuf(domain, jar, "status", "--watch", "--count", "1", "--json");
                assertEquals(0, status.status, status.err);
                assertTrue(status.out.contains("\"vif\": \"vif1.0\", \"ifb\": \"ifb0\", \"domid\": 1"), status.out);
            } finally {
                buffer.close();
            }
            assertFalse(domain.xenbusRecords().containsKey(XENBUS + "/ifb"), "torn down");
        }
    }

    /** What one command line run did. */
    private record Run(int status, String out, String err) {
    }

    /** Runs {@code netbuf ARGS} in dom0, with the domain's xenstored, at most 120 s. */
    private static Run netbuf(LabDomain domain, Path jar, String... args) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", domain.dom0.name(), java,
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-jar", jar.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("XENSTORED_PATH", domain.xenstored.socketPath().toString());
        pb.environment().put("NETBUF_LOG", "warn");
        Path out = Files.createTempFile("netbuf-cli", ".out");
        Path err = Files.createTempFile("netbuf-cli", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("netbuf " + String.join(" ", args) + " did not end within 120 s");
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
