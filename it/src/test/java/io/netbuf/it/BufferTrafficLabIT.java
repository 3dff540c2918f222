package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static io.netbuf.it.LabDomain.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferStats;
import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The whole product in the kernel lab, through each backend: {@link NetworkBuffer} attached to a
 * guest's vif on the real kernel with the real plug, XenStore served by the testkit xenstored, and
 * real IPv4, IPv6 and ARP packets from the guest. What reaches dom0 is seen by a socket there (in
 * order) and, for ARP, by dom0's neighbour table.
 */
class BufferTrafficLabIT {
    private static final int SMALL = 100;
    private static final int LARGE = 1400;
    private static final long SMALL_LIMIT = 1000;

    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void holdsEveryProtocolUntilItsEpochIsCommittedAndLeavesNothingBehind(SystemHost.Backend backend)
            throws InterruptedException {
        try (LabDomain domain = LabDomain.create(1); SystemHost host = domain.host(backend)) {
            String before = KernelState.dump(domain.dom0);
            Map<String, String> recordsBefore = domain.xenbusRecords();
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            try {
                assertEquals("ifb0", buffer.ifb(), "the free IFB is used");
                assertEquals("ifb0", domain.xenbusRecords().get(XENBUS + "/ifb"));
                assertEquals("connected", domain.xenbusRecords().get(XENBUS + "/hotplug-status"));

                // The IFB came up without an IPv6 address: nothing of its own is buffered.
                Thread.sleep(3000);
                assertEquals(0, buffer.stats().backlogPackets(), "the IFB sends no IPv6 packets of its own");

                // Epoch 1: IPv4, IPv6 and ARP are all held.
                domain.send(1, false, SMALL);
                domain.send(2, true, SMALL);
                domain.send(3, false, SMALL + 20);
                assertFalse(domain.arping(), "ARP answered while its request should be held");
                domain.send(4, true, SMALL + 40);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "nothing reaches dom0 before a commit");
                assertFalse(domain.dom0HeardArp(), "the ARP request reached dom0 before a commit");
                assertEquals(5, buffer.stats().backlogPackets(), "4 datagrams and 1 ARP request held");

                // Epoch 2 is held while epoch 1 is released, exactly, in order.
                buffer.checkpoint();
                domain.send(5, false, SMALL);
                domain.send(6, true, SMALL);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "a checkpoint alone releases nothing");
                buffer.commit();
                assertEquals(List.of(1, 2, 3, 4), domain.arrived(4), "exactly epoch 1, in order");
                assertTrue(domain.dom0HeardArp(), "the ARP request of epoch 1 reached dom0");
                assertEquals(2, buffer.stats().backlogPackets(), "epoch 2 still held");
                buffer.checkpoint();
                buffer.commit();
                assertEquals(List.of(5, 6), domain.arrived(2), "epoch 2 after its own commit");

                // Released indefinitely, traffic passes until the next checkpoint.
                buffer.releaseIndefinitely();
                domain.send(7, false, SMALL);
                domain.send(8, true, SMALL);
                assertEquals(List.of(7, 8), domain.arrived(2), "traffic passes while released");
                assertTrue(domain.arping(), "ARP is answered while released");
                buffer.checkpoint();
                domain.send(9, false, SMALL);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "buffering again after the checkpoint");

                // Over the byte limit: dropped and counted.
                buffer.changeLimit(SMALL_LIMIT);
                assertEquals(SMALL_LIMIT, buffer.limit());
                long dropsBefore = buffer.stats().drops();
                domain.send(10, false, LARGE);
                domain.send(11, true, SMALL);
                BufferStats stats = buffer.stats();
                assertEquals(dropsBefore + 1, stats.drops(), "the datagram over the limit is dropped");
                assertEquals(2, stats.backlogPackets(), "9 and 11 are held");
                assertEquals(2L * SMALL, stats.backlogBytes(), "the plug counts whole frames");
                buffer.commit();
                assertEquals(List.of(), domain.arrivedWhileHeld(), "the epoch closed while released was empty");
                buffer.checkpoint();
                buffer.commit();
                assertEquals(List.of(9, 11), domain.arrived(2), "9 and 11 arrive, 10 never");

                // Teardown purges what is held.
                domain.send(12, false, SMALL);
                assertEquals(1, buffer.stats().backlogPackets());
            } finally {
                buffer.close();
            }
            assertEquals(List.of(), domain.arrivedWhileHeld(), "what was held at teardown is purged");
            KernelState.assertRestored(domain.dom0, before, "no qdisc, filter or IFB change left behind");
            assertEquals(recordsBefore, domain.xenbusRecords(), "no claim or hotplug record left behind");
            domain.send(13, true, SMALL);
            assertEquals(List.of(13), domain.arrived(1), "after teardown the vif is not buffered");
        }
    }
}
