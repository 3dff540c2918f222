package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Many threads attaching different vifs at once never get the same IFB. */
class ConcurrentAttachTest {
    private static final int THREADS = 16;
    private static final int CYCLES = 100;

    @Test
    void sixteenThreadsTimesAHundredCyclesNeverShareAnIfb() throws Exception {
        FakeHost host = FakeHost.create().withIfbs(6)
                .withXenstore("/local/domain/0/name", "Domain-0");
        for (int t = 0; t < THREADS; t++) {
            host.withVif("vif" + (t + 1) + ".0").withXenstore("/local/domain/" + (t + 1) + "/name", "g" + t)
                    .withXenstore("/libxl/" + (t + 1) + "/remus/netbuf/0", "");
        }
        Map<String, String> owner = new ConcurrentHashMap<>();
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger cycles = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int domid = t + 1;
                results.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < CYCLES; i++) {
                        // Half the threads record claims in xenstore, half rely on the kernel state alone.
                        NetworkBuffer.Builder builder = NetworkBuffer.forVif("vif" + domid + ".0").on(host);
                        if (domid % 2 == 0) {
                            builder.xenbusPath("/libxl/" + domid + "/remus/netbuf/0");
                        }
                        try (NetworkBuffer buffer = builder.attach()) {
                            String previous = owner.putIfAbsent(buffer.ifb(), buffer.vif());
                            if (previous != null) {
                                conflicts.incrementAndGet();
                            }
                            host.guest(buffer.vif()).sendIpv4(64);
                            buffer.checkpoint();
                            buffer.commit();
                            owner.remove(buffer.ifb(), buffer.vif());
                        }
                        cycles.incrementAndGet();
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : results) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(0, conflicts.get(), "an IFB served two vifs at once");
        assertEquals(THREADS * CYCLES, cycles.get());
        for (int t = 1; t <= THREADS; t++) {
            assertEquals(CYCLES, host.delivered("vif" + t + ".0").size(), "every committed frame arrived");
        }
        assertTrue(host.heldLocks().isEmpty());
        host.assertClean();
    }
}
