package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static io.netbuf.it.LabDomain.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferStats;
import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.reliability.Resources;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A buffer checkpointed and committed many times on the kernel lab's real plug, with real traffic
 * from the guest: {@code -Dnetbuf.lab.longRounds} rounds through the native backend (default
 * 10,000) and {@code -Dnetbuf.lab.longToolsRounds} through {@code tc} (default 50: each action is a
 * process, 0.1-1 s under software emulation). The process's open file descriptors and heap after
 * GC must stay where they were once warm (a tenth of the way); every {@value #PROBE_EVERY} rounds a
 * datagram sent before a checkpoint must arrive after its commit and nothing may stay held or be
 * dropped; at the end the buffer must still hold every packet until its epoch is committed, and
 * teardown must leave nothing behind.
 */
class LongRunLabIT {
    private static final int PROBE_EVERY = 1000;
    private static final int SMALL = 100;
    /** Heap growth tolerated between the warm point and the end (GC noise, JIT, class metadata). */
    private static final long HEAP_SLACK = 4L << 20;

    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void checkpointsAndCommitsLeakNothingAndStillHoldPackets(SystemHost.Backend backend) throws Exception {
        int rounds = backend == SystemHost.Backend.NATIVE ? Integer.getInteger("netbuf.lab.longRounds", 10_000)
                : Integer.getInteger("netbuf.lab.longToolsRounds", 50);
        try (LabDomain domain = LabDomain.create(1); SystemHost host = domain.host(backend)) {
            String before = KernelState.dump(domain.dom0);
            Map<String, String> recordsBefore = domain.xenbusRecords();
            long fdsWarm = 0;
            long heapWarm = 0;
            int nextId = 1;
            long start = System.nanoTime();
            try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
                for (int i = 1; i <= rounds; i++) {
                    boolean probe = i % PROBE_EVERY == 0 || i == rounds;
                    int id = nextId;
                    if (probe) {
                        domain.send(nextId++, i % (2 * PROBE_EVERY) == 0, SMALL);
                    }
                    buffer.checkpoint();
                    buffer.commit();
                    if (probe) {
                        assertEquals(List.of(id), domain.arrived(1), "round " + i + ": the epoch's datagram");
                        BufferStats stats = buffer.stats();
                        assertEquals(0, stats.backlogPackets(), "round " + i + ": nothing stays held");
                        assertEquals(0, stats.drops(), "round " + i + ": nothing is dropped");
                    }
                    if (i == rounds / 10) {
                        fdsWarm = Resources.openFds();
                        heapWarm = Resources.heapAfterGc();
                    }
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                long fdsEnd = Resources.openFds();
                long heapEnd = Resources.heapAfterGc();
                System.out.printf("long run in the lab (%s, real plug): %d rounds in %.1f s (%.0f rounds/s), "
                        + "fds %d -> %d, heap %d -> %d bytes%n", backend, rounds, seconds, rounds / seconds, fdsWarm,
                        fdsEnd, heapWarm, heapEnd);
                assertEquals(fdsWarm, fdsEnd, "open file descriptors");
                assertTrue(heapEnd - heapWarm < HEAP_SLACK, "heap grew from " + heapWarm + " to " + heapEnd);

                // Still a buffer: IPv4 and IPv6 held until their epoch is committed, then exactly that epoch.
                domain.send(nextId, false, SMALL);
                domain.send(nextId + 1, true, SMALL);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "held after " + rounds + " rounds");
                buffer.checkpoint();
                domain.send(nextId + 2, false, SMALL);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "a checkpoint alone releases nothing");
                buffer.commit();
                assertEquals(List.of(nextId, nextId + 1), domain.arrived(2), "exactly the closed epoch, in order");
                assertEquals(1, buffer.stats().backlogPackets(), "the open epoch is still held");
                buffer.checkpoint();
                buffer.commit();
                assertEquals(List.of(nextId + 2), domain.arrived(1), "the next epoch after its own commit");
            }
            KernelState.assertRestored(domain.dom0, before, "no qdisc, filter or IFB change left behind");
            assertEquals(recordsBefore, domain.xenbusRecords(), "no claim or hotplug record left behind");
        }
    }
}
