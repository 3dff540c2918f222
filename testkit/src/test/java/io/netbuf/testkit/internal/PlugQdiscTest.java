package io.netbuf.testkit.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.PlugAction;
import io.netbuf.testkit.PlugState;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plug model against sch_plug's code paths; packets are strings whose length is the byte count. */
class PlugQdiscTest {
    private final PlugQdisc<String> plug = new PlugQdisc<>(1_000, String::length);

    /** Like __qdisc_run: dequeue until the qdisc returns nothing. */
    private List<String> run() {
        List<String> out = new ArrayList<>();
        String p;
        while ((p = plug.dequeue()) != null) {
            out.add(p);
        }
        return out;
    }

    private void enqueueAll(String... packets) {
        for (String p : packets) {
            assertTrue(plug.enqueue(p), p);
        }
    }

    @Test
    void startsThrottledAndHoldsEverything() {
        assertEquals(new PlugState(1_000, true, false, 0, 0, 0, 0, 0), plug.state());
        enqueueAll("aa", "bbb");
        assertEquals(List.of(), run());
        assertEquals(2, plug.backlogPackets());
        assertEquals(5, plug.backlogBytes());
        assertEquals(2, plug.state().pktsCurrentEpoch());
    }

    @Test
    void releaseOneLetsOutExactlyTheClosedEpochInOrder() {
        enqueueAll("a1", "a2", "a3");
        plug.change(PlugAction.BUFFER);
        enqueueAll("b1");
        assertTrue(plug.change(PlugAction.RELEASE_ONE), "a release schedules the device");
        assertEquals(List.of("a1", "a2", "a3"), run());
        PlugState s = plug.state();
        assertTrue(s.throttled(), "the dequeue after the epoch throttles again");
        assertEquals(0, s.pktsToRelease());
        assertEquals(1, s.pktsCurrentEpoch());
        assertEquals(1, plug.backlogPackets());
        assertEquals(3, plug.sentPackets());
        assertEquals(6, plug.sentBytes());
        plug.change(PlugAction.BUFFER);
        plug.change(PlugAction.RELEASE_ONE);
        assertEquals(List.of("b1"), run());
    }

    @Test
    void anEmptyEpochReleasesNothing() {
        plug.change(PlugAction.BUFFER);
        enqueueAll("x");
        plug.change(PlugAction.RELEASE_ONE);
        assertEquals(List.of(), run());
        assertTrue(plug.state().throttled());
    }

    @Test
    void bufferAndLimitDoNotScheduleTheDevice() {
        assertFalse(plug.change(PlugAction.BUFFER));
        assertFalse(plug.change(PlugAction.limit(5)));
        assertTrue(plug.change(PlugAction.RELEASE_INDEFINITE));
    }

    @Test
    void releaseIndefinitelyDrainsAndPassesThroughUntilTheNextBuffer() {
        enqueueAll("a1", "a2");
        plug.change(PlugAction.BUFFER);
        enqueueAll("b1");
        plug.change(PlugAction.RELEASE_INDEFINITE);
        assertEquals(List.of("a1", "a2", "b1"), run());
        enqueueAll("c1");
        assertEquals(List.of("c1"), run(), "pass-through");
        assertEquals(new PlugState(1_000, false, true, 0, 0, 0, 0, 0), plug.state(), "no epoch is counted");
        plug.change(PlugAction.BUFFER);
        PlugState s = plug.state();
        assertTrue(s.throttled(), "BUFFER after RELEASE_INDEFINITE plugs again");
        assertFalse(s.unplugIndefinite());
        enqueueAll("d1");
        assertEquals(List.of(), run());
        plug.change(PlugAction.BUFFER);
        plug.change(PlugAction.RELEASE_ONE);
        assertEquals(List.of("d1"), run());
    }

    @Test
    void dropsWhatWouldExceedTheByteLimit() {
        PlugQdisc<String> small = new PlugQdisc<>(5, String::length);
        assertTrue(small.enqueue("aaa"));
        assertFalse(small.enqueue("bbb"), "3 + 3 > 5");
        assertTrue(small.enqueue("cc"), "3 + 2 == 5 fits");
        assertFalse(small.enqueue("d"));
        assertEquals(2, small.drops());
        assertEquals(2, small.backlogPackets());
        assertEquals(2, small.state().pktsCurrentEpoch(), "a drop is not counted in the epoch");
        small.change(PlugAction.limit(6));
        assertTrue(small.enqueue("e"));
    }

    @Test
    void limitZeroDropsEverything() {
        PlugQdisc<String> zero = new PlugQdisc<>(0, String::length);
        assertFalse(zero.enqueue("a"));
        assertFalse(zero.enqueue("b"));
        assertEquals(2, zero.drops());
    }

    @Test
    void twoBuffersWithoutReleaseStrandTheOlderEpoch() {
        enqueueAll("a1", "a2");
        plug.change(PlugAction.BUFFER);
        enqueueAll("b1");
        plug.change(PlugAction.BUFFER);
        assertEquals(1, plug.state().pktsLastEpoch(), "the count of epoch a is lost");
        plug.change(PlugAction.RELEASE_ONE);
        assertEquals(List.of("a1"), run(), "one packet (epoch b's count) leaves, from the head: epoch a's");
        enqueueAll("c1");
        plug.change(PlugAction.BUFFER);
        plug.change(PlugAction.RELEASE_ONE);
        assertEquals(List.of("a2"), run(), "releases stay shifted: epoch c's count lets a2 out");
        assertEquals(2, plug.backlogPackets(), "b1 and c1 are still held");
    }

    @Test
    void aPurgeEmptiesTheQueueWithoutDropsAndKeepsTheCounters() {
        enqueueAll("a1", "a2");
        plug.change(PlugAction.BUFFER);
        assertEquals(List.of("a1", "a2"), plug.purge());
        assertEquals(0, plug.backlogBytes());
        assertEquals(0, plug.drops());
        assertEquals(2, plug.state().pktsLastEpoch());
        plug.change(PlugAction.RELEASE_ONE);
        assertEquals(List.of(), run());
        assertEquals(1, plug.state().pktsToRelease(),
                "a dequeue on an empty queue consumed one of the two releases, like the kernel's");
        enqueueAll("n1");
        assertEquals(List.of("n1"), run(), "the stale release lets a packet of the open epoch out");
    }

    @Test
    void rejectsALimitThatIsNotAU32() {
        assertThrows(IllegalArgumentException.class, () -> new PlugQdisc<String>(-1, String::length));
        assertThrows(IllegalArgumentException.class, () -> new PlugQdisc<String>(1L << 32, String::length));
    }
}
