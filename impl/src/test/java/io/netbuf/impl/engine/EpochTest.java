package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferStats;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.PlugFailedException;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Epoch semantics seen through the handle, with frames sent from the guest. */
class EpochTest {
    private FakeHost host;
    private NetworkBuffer buffer;

    @BeforeEach
    void attach() {
        host = EngineFixtures.domain5(1);
        buffer = NetworkBuffer.forVif(VIF).limit(1_000).on(host).attach();
    }

    @AfterEach
    void close() {
        buffer.close();
        host.assertClean();
    }

    @Test
    void outputIsHeldUntilTheCheckpointThatProducedItIsCommitted() {
        Frame a = host.guest(VIF).sendIpv4(100);
        Frame b = host.guest(VIF).sendIpv6(100);
        Frame c = host.guest(VIF).sendArp();
        assertTrue(host.delivered(VIF).isEmpty(), "nothing leaves before a commit");
        buffer.checkpoint();
        Frame d = host.guest(VIF).sendIpv4(100);
        assertTrue(host.delivered(VIF).isEmpty(), "a checkpoint alone releases nothing");
        buffer.commit();
        assertEquals(List.of(a, b, c), host.delivered(VIF), "exactly the first epoch, in order");
        buffer.checkpoint();
        buffer.commit();
        assertEquals(List.of(a, b, c, d), host.delivered(VIF));
    }

    @Test
    void aSecondCheckpointBeforeCommitIsRefusedWithoutTouchingTheKernel() {
        host.guest(VIF).sendIpv4(100);
        buffer.checkpoint();
        host.clearCalls();
        IllegalStateException e = assertThrows(IllegalStateException.class, buffer::checkpoint);
        assertTrue(e.getMessage().contains("commit"), e.getMessage());
        assertTrue(host.calls().isEmpty(), "refused before any host call: " + host.calls());
        buffer.commit();
        assertEquals(1, host.delivered(VIF).size(), "the epoch was not stranded");
    }

    @Test
    void commitWithoutCheckpointIsRefused() {
        host.clearCalls();
        assertThrows(IllegalStateException.class, buffer::commit);
        assertTrue(host.calls().isEmpty());
    }

    @Test
    void releaseIndefinitelyLetsEverythingThroughUntilTheNextCheckpoint() {
        Frame held = host.guest(VIF).sendIpv4(100);
        buffer.releaseIndefinitely();
        assertEquals(List.of(held), host.delivered(VIF));
        Frame passing = host.guest(VIF).sendIpv4(100);
        assertEquals(List.of(held, passing), host.delivered(VIF), "pass-through after failover");
        buffer.checkpoint();
        Frame buffered = host.guest(VIF).sendIpv4(100);
        assertEquals(List.of(held, passing), host.delivered(VIF), "buffering again after a checkpoint");
        buffer.commit();
        buffer.checkpoint();
        buffer.commit();
        assertEquals(List.of(held, passing, buffered), host.delivered(VIF));
    }

    @Test
    void framesOverTheByteLimitAreDroppedAndCounted() {
        host.guest(VIF).sendIpv4(600);
        host.guest(VIF).sendIpv4(600); // 1,200 > 1,000: dropped
        host.guest(VIF).sendIpv4(400);
        BufferStats stats = buffer.stats();
        assertEquals(2, stats.backlogPackets());
        assertEquals(1_000, stats.backlogBytes());
        assertEquals(1, stats.drops());
        buffer.checkpoint();
        buffer.commit();
        BufferStats after = buffer.stats();
        assertEquals(0, after.backlogPackets());
        assertEquals(2, after.sentPackets());
        assertEquals(1_000, after.sentBytes());
    }

    @Test
    void theLimitCanBeChanged() {
        buffer.changeLimit(2_000);
        assertEquals(2_000, buffer.limit());
        host.guest(VIF).sendIpv4(1_500);
        assertEquals(0, buffer.stats().drops());
        assertThrows(InvalidConfigurationException.class, () -> buffer.changeLimit(0));
        assertEquals(2_000, buffer.limit());
    }

    @Test
    void aRefusedPlugActionIsTypedAndLeavesTheEpochStateUnchanged() {
        host.faults().failNth("trafficControl.plug", 1);
        PlugFailedException e = assertThrows(PlugFailedException.class, buffer::checkpoint);
        assertEquals("BUFFER", e.action());
        host.faults().clear();
        assertThrows(IllegalStateException.class, buffer::commit, "no epoch was closed");
        buffer.checkpoint();
        buffer.commit();
    }
}
