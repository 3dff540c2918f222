package io.netbuf.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A buffer checkpointed and committed 100,000 times on the fake host, with a frame in every epoch:
 * every frame is delivered, in order, after its commit; the heap after GC and the number of open
 * file descriptors stay where they were once warmed up.
 */
class LongRunTest {
    static final int ROUNDS = 100_000;
    /** Heap growth allowed between the warm-up point and the end (after GC). */
    static final long MAX_HEAP_GROWTH = 4L << 20;

    @Test
    void hundredThousandCheckpointsLeakNothing() throws Exception {
        FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(1)
                .withXenstore("/local/domain/5/name", "g").withXenstore("/libxl/5/remus/netbuf/0", "");
        long delivered = 0;
        long heapWarm = 0;
        long fdsWarm = 0;
        try (NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").xenbusPath("/libxl/5/remus/netbuf/0").on(host)
                .attach()) {
            for (int i = 1; i <= ROUNDS; i++) {
                Frame frame = host.guest("vif5.0").sendIpv4(64 + i % 1000);
                buffer.checkpoint();
                buffer.commit();
                List<Frame> out = host.drainDelivered("vif5.0");
                assertEquals(List.of(frame), out, "round " + i);
                delivered++;
                if (i % 1_000 == 0) {
                    // The fake host logs every port call for assertions: a long run must forget them.
                    host.clearCalls();
                }
                if (i == ROUNDS / 10) {
                    heapWarm = Resources.heapAfterGc();
                    fdsWarm = Resources.openFds();
                }
            }
            assertEquals(0, buffer.stats().backlogPackets());
            assertEquals(0, buffer.stats().drops());
        }
        host.assertClean();
        long heapEnd = Resources.heapAfterGc();
        long fdsEnd = Resources.openFds();
        System.out.printf("long run (fake host): %d rounds, %d frames delivered, heap %d -> %d bytes, fds %d -> %d%n",
                ROUNDS, delivered, heapWarm, heapEnd, fdsWarm, fdsEnd);
        assertTrue(heapEnd - heapWarm < MAX_HEAP_GROWTH, "heap grew from " + heapWarm + " to " + heapEnd);
        // A leak only ever adds descriptors; the JVM itself may close one of its own meanwhile (seen: 31 -> 30).
        assertTrue(fdsEnd <= fdsWarm, "open file descriptors grew from " + fdsWarm + " to " + fdsEnd);
    }
}
