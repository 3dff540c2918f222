package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.LockTimeoutException;
import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.PlugAction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The fake host under many threads. */
class ConcurrencyTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0");

    @Test
    void concurrentCreationOfOneNameSucceedsOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(16);
        AtomicInteger created = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                futures.add(pool.submit(() -> {
                    try {
                        host.links().createIfb("ifb0");
                        created.incrementAndGet();
                    } catch (OperationFailedException e) {
                        refused.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, created.get());
        assertEquals(15, refused.get());
        assertEquals(16, host.calls().size());
    }

    @Test
    void framesSentWhileCheckpointingAreNeitherLostNorReordered() throws Exception {
        host.addIfb("ifb0");
        host.links().setUp("ifb0", true);
        host.trafficControl().addIngress("vif5.0");
        host.trafficControl().addRedirect("vif5.0", "ifb0", Protocols.ALL);
        host.trafficControl().addPlug("ifb0", 0xFFFF_FFFFL);
        int senders = 4;
        int perSender = 500;
        ExecutorService pool = Executors.newFixedThreadPool(senders);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int s = 0; s < senders; s++) {
                long base = s * 1_000_000L;
                futures.add(pool.submit(() -> {
                    for (int i = 0; i < perSender; i++) {
                        host.guest("vif5.0").send(Frame.ipv4(base + i, 100));
                    }
                }));
            }
            boolean running = true;
            while (running) {
                host.trafficControl().plug(List.of("ifb0"), PlugAction.BUFFER);
                host.trafficControl().plug(List.of("ifb0"), PlugAction.RELEASE_ONE);
                running = futures.stream().anyMatch(f -> !f.isDone());
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        host.trafficControl().plug(List.of("ifb0"), PlugAction.BUFFER);
        host.trafficControl().plug(List.of("ifb0"), PlugAction.RELEASE_ONE);
        List<Frame> delivered = host.delivered("vif5.0");
        assertEquals(senders * perSender, delivered.size());
        assertEquals(List.of(), host.drops());
        for (int s = 0; s < senders; s++) {
            long base = s * 1_000_000L;
            List<Long> mine = delivered.stream().map(Frame::id).filter(id -> id >= base && id < base + perSender)
                    .toList();
            assertEquals(perSender, mine.size());
            for (int i = 0; i < perSender; i++) {
                assertEquals(base + i, mine.get(i), "sender " + s + " in order");
            }
        }
    }

    @Test
    void theLockIsNotReentrant() {
        try (HostLock.Held held = host.lock().acquire("pickifb", Duration.ofSeconds(1))) {
            LockTimeoutException e = assertThrows(LockTimeoutException.class,
                    () -> host.lock().acquire("pickifb", Duration.ofMillis(50)));
            assertEquals("pickifb", e.lock());
            assertTrue(host.heldLocks().containsKey("pickifb"));
        }
        assertTrue(host.heldLocks().isEmpty());
    }
}
