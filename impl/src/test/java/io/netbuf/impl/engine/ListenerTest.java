package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferGroup;
import io.netbuf.GroupStats;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.PlugFailedException;
import io.netbuf.event.Attached;
import io.netbuf.event.BufferEvent;
import io.netbuf.event.BufferId;
import io.netbuf.event.BufferListener;
import io.netbuf.event.Checkpointed;
import io.netbuf.event.Closed;
import io.netbuf.event.Committed;
import io.netbuf.event.DropCause;
import io.netbuf.event.Dropped;
import io.netbuf.event.Failed;
import io.netbuf.event.LimitChanged;
import io.netbuf.event.ReleasedIndefinitely;
import io.netbuf.testkit.FakeHost;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Listener events on FakeHost: order, content, figures, and a listener that misbehaves. */
class ListenerTest {
    private final RecordingListener events = new RecordingListener();

    @Test
    void everyActionIsReportedInOrderWithWhatTheCommitReleased() throws InterruptedException {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).limit(10_000).listener(events)
                .on(host).attach()) {
            BufferId id = new BufferId(VIF, buffer.ifb(), OptionalInt.of(5));
            Attached attached = events.next(Attached.class);
            assertEquals(id, attached.buffer());
            assertEquals(10_000, attached.limitBytes());
            assertFalse(attached.adopted());

            host.guest(VIF).sendIpv4(100);
            host.guest(VIF).sendIpv6(200);
            buffer.checkpoint();
            host.guest(VIF).sendIpv4(300); // the next epoch: not released by this commit
            buffer.commit();
            Checkpointed checkpointed = events.next(Checkpointed.class);
            assertEquals(1, checkpointed.epoch());
            assertEquals(id, checkpointed.buffer());
            Committed committed = events.next(Committed.class);
            assertEquals(1, committed.epoch());
            assertEquals(2, committed.packets(), "the closed epoch's two frames");
            assertEquals(host.delivered(VIF).stream().mapToLong(f -> f.length()).sum(), committed.bytes());
            assertFalse(committed.checkpointToCommit().isNegative());
            assertEquals(committed, buffer.lastCommit().orElseThrow(), "the handle reports the same figures");

            buffer.checkpoint();
            buffer.commit();
            events.next(Checkpointed.class);
            Committed second = events.next(Committed.class);
            assertEquals(2, second.epoch());
            assertEquals(1, second.packets());

            buffer.changeLimit(20_000);
            LimitChanged limit = events.next(LimitChanged.class);
            assertEquals(10_000, limit.previousBytes());
            assertEquals(20_000, limit.limitBytes());

            buffer.releaseIndefinitely();
            assertEquals(2, events.next(ReleasedIndefinitely.class).epoch());
            host.guest(VIF).sendIpv4(400); // passes: no commit's
            buffer.checkpoint();
            host.guest(VIF).sendIpv4(500);
            buffer.commit();
            events.next(Checkpointed.class);
            Committed third = events.next(Committed.class);
            assertEquals(3, third.epoch());
            assertEquals(0, third.packets(), "what passed while released indefinitely is no commit's");
            host.guest(VIF).sendIpv4(600);
        }
        Dropped purged = events.next(Dropped.class);
        assertEquals(DropCause.PURGED, purged.cause());
        assertEquals(2, purged.packets(), "the held 500 and 600 byte frames");
        assertTrue(purged.bytes() >= 1_100, "bytes: " + purged.bytes());
        assertEquals(3, events.next(Closed.class).epochs());
        assertEquals(List.of(), events.rest(50), "nothing after close");
        host.assertClean();
    }

    @Test
    void dropsOverTheLimitAreReportedWithTheCommitThatSawThem() throws InterruptedException {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).limit(1_000).listener(events).on(host).attach()) {
            events.next(Attached.class);
            host.guest(VIF).sendIpv4(600);
            host.guest(VIF).sendIpv4(600); // over the limit: dropped
            buffer.checkpoint();
            buffer.commit();
            events.next(Checkpointed.class);
            Dropped dropped = events.next(Dropped.class);
            assertEquals(DropCause.OVER_LIMIT, dropped.cause());
            assertEquals(1, dropped.packets());
            assertEquals(1, events.next(Committed.class).packets());
        }
        host.assertClean();
    }

    @Test
    void aRefusedActionIsReportedAsAFailureWithTheExceptionThrown() throws InterruptedException {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).listener(events).on(host).attach()) {
            events.next(Attached.class);
            host.faults().failOn("trafficControl.plug");
            PlugFailedException thrown = assertThrows(PlugFailedException.class, buffer::checkpoint);
            Failed failed = events.next(Failed.class);
            assertEquals("checkpoint", failed.operation());
            assertSame(thrown, failed.failure());
            host.faults().clear();
        }
        host.assertClean();
    }

    @Test
    void theCommitFiguresAreUnknownWhenTheCountersCannotBeReadButTheCommitStands() {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            host.guest(VIF).sendIpv4(100);
            buffer.checkpoint();
            buffer.commit();
            host.faults().failOn("trafficControl.qdiscs");
            assertEquals(1, host.delivered(VIF).size());
            Committed c = buffer.lastCommit().orElseThrow();
            host.faults().clear();
            assertFalse(c.figuresKnown());
            assertEquals(-1, c.packets());
            assertEquals(1, c.epoch());
        }
        host.assertClean();
    }

    @Test
    void withoutListenersTheCommitReadsNothingAndLastCommitReadsOnDemand() {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            host.guest(VIF).sendIpv4(100);
            host.guest(VIF).sendIpv4(100);
            host.clearCalls();
            buffer.checkpoint();
            buffer.commit();
            assertEquals(List.of("trafficControl.plug", "trafficControl.plug"),
                    host.callLog().stream().map(c -> c.operation()).toList(), "the checkpoint path reads nothing");
            assertEquals(2, buffer.lastCommit().orElseThrow().packets(), "read when asked");
            assertEquals(2, buffer.lastCommit().orElseThrow().packets(), "and kept");

            host.guest(VIF).sendIpv4(100);
            buffer.checkpoint();
            buffer.commit(); // nobody asks for this one's figures...
            host.guest(VIF).sendIpv4(100);
            buffer.checkpoint();
            buffer.commit();
            Committed third = buffer.lastCommit().orElseThrow();
            assertEquals(3, third.epoch());
            assertFalse(third.figuresKnown(), "...so the next one has no starting point: unknown, not wrong");
            host.guest(VIF).sendIpv4(100);
            buffer.checkpoint();
            buffer.commit();
            assertEquals(1, buffer.lastCommit().orElseThrow().packets(), "known again");
        }
        host.assertClean();
    }

    @Test
    void aGroupListenerHearsEveryMemberAndTheGroupReportsItsStats() throws InterruptedException {
        FakeHost host = FakeHost.create().withVif("vif7.0").withVif("vif7.1").withIfbs(2);
        NetworkBuffer a = NetworkBuffer.forVif("vif7.0").on(host).attach();
        NetworkBuffer b = NetworkBuffer.forVif("vif7.1").on(host).attach();
        try (BufferGroup group = NetworkBuffer.group(List.of(a, b))) {
            assertSame(group, group.addListener(events));
            host.guest("vif7.0").sendIpv4(100);
            host.guest("vif7.1").sendIpv4(100);
            host.guest("vif7.1").sendIpv4(100);
            GroupStats held = group.stats();
            assertEquals(3, held.total().backlogPackets());
            assertEquals(2, held.members().get(b).backlogPackets());
            assertEquals(List.of(a, b), List.copyOf(held.members().keySet()));
            group.checkpoint();
            group.commit();
            List<BufferEvent> got = events.take(4);
            assertEquals(2, got.stream().filter(e -> e instanceof Committed).count(), got.toString());
            assertEquals(1, a.lastCommit().orElseThrow().packets());
            assertEquals(2, b.lastCommit().orElseThrow().packets());
            assertEquals(7, a.lastCommit().orElseThrow().buffer().domain().getAsInt());
            assertEquals(3, group.stats().total().sentPackets());
        }
        host.assertClean();
    }

    @Test
    void aListenerThatThrowsOrBlocksNeitherBreaksNorStallsTheBuffer() throws InterruptedException {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger thrown = new AtomicInteger();
        BufferListener throwing = new BufferListener() {
            @Override
            public void onCheckpoint(Checkpointed event) {
                thrown.incrementAndGet();
                throw new IllegalStateException("a broken listener");
            }
        };
        BufferListener blocking = new BufferListener() {
            @Override
            public void onCommit(Committed event) {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).listener(throwing).listener(blocking).listener(events)
                .on(host).attach()) {
            long start = System.nanoTime();
            int rounds = EventDispatcher.CAPACITY; // twice as many events as the queue holds
            for (int i = 0; i < rounds; i++) {
                buffer.checkpoint();
                buffer.commit();
            }
            long elapsed = System.nanoTime() - start;
            assertTrue(elapsed < TimeUnit.SECONDS.toNanos(30), "the checkpoint path went on: " + elapsed + " ns");
            assertEquals(rounds, buffer.lastCommit().orElseThrow().epoch());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (thrown.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(1); // the event thread calls it on its own time
            }
            assertTrue(thrown.get() >= 1, "the throwing listener was called");
            release.countDown();
            assertTrue(((AttachedBuffer) buffer).observer().droppedEvents() > 0, "the overflow was counted");
        }
        host.assertClean();
    }

    @Test
    void aListenerBlockedOnOneBufferDoesNotHoldBackAnotherBuffersEvents() throws InterruptedException {
        CountDownLatch blocked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        BufferListener blocking = new BufferListener() {
            @Override
            public void onCheckpoint(Checkpointed event) {
                blocked.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        FakeHost host = FakeHost.create().withVif("vif7.0").withVif("vif7.1").withIfbs(2);
        try (NetworkBuffer stuck = NetworkBuffer.forVif("vif7.0").listener(blocking).on(host).attach();
                NetworkBuffer other = NetworkBuffer.forVif("vif7.1").listener(events).on(host).attach()) {
            events.next(Attached.class);
            stuck.checkpoint();
            assertTrue(blocked.await(10, TimeUnit.SECONDS), "the blocking listener was called");
            other.checkpoint(); // the event thread that delivers stuck's events is blocked now
            other.commit();
            try {
                assertEquals(1, events.next(Checkpointed.class).epoch(), "delivered while the other listener blocks");
                assertEquals(1, events.next(Committed.class).epoch());
            } finally {
                release.countDown();
            }
        }
        host.assertClean();
    }

    @Test
    void eventsCarryTheWallClockTimeOfTheKernelsAnswerInOrder() throws InterruptedException {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).listener(events).on(host).attach()) {
            Instant before = Instant.now();
            buffer.checkpoint();
            Thread.sleep(20);
            buffer.commit();
            Instant after = Instant.now();
            events.next(Attached.class);
            Checkpointed c = events.next(Checkpointed.class);
            Committed r = events.next(Committed.class);
            // the wall clock is derived from the monotonic one: allow the two clocks' sub-millisecond skew
            assertFalse(c.time().isBefore(before.minusMillis(5)), c.time() + " vs " + before);
            assertFalse(r.time().isAfter(after.plusMillis(5)), r.time() + " vs " + after);
            Duration between = Duration.between(c.time(), r.time());
            assertTrue(between.compareTo(Duration.ofMillis(20)) >= 0, "checkpoint to commit on the clock: " + between);
            assertTrue(r.checkpointToCommit().compareTo(Duration.ofMillis(20)) >= 0, r.toString());
            long skew = Math.abs(r.checkpointToCommit().minus(between).toNanos());
            assertTrue(skew < TimeUnit.MILLISECONDS.toNanos(1), "both from the same readings: " + skew + " ns apart");
        }
        host.assertClean();
    }

    @Test
    void listenersAreRegisteredExplicitlyAndNullIsRefused() throws InterruptedException {
        assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.forVif(VIF).listener(null));
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            assertThrows(InvalidConfigurationException.class, () -> buffer.addListener(null));
            buffer.addListener(events);
            buffer.addListener(events); // once only
            buffer.checkpoint();
            assertEquals(1, events.next(Checkpointed.class).epoch());
            assertEquals(List.of(), events.rest(50), "told once");
            assertTrue(buffer.removeListener(events));
            buffer.commit();
            assertEquals(List.of(), events.rest(50));
        }
        host.assertClean();
    }

    @Test
    void anAdoptedBufferSaysSoAndCountsFromTheKernelsCounters() throws InterruptedException {
        FakeHost host = EngineFixtures.domain5(1);
        NetworkBuffer first = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(AdoptTest.previousRun(host)).attach();
        host.guest(VIF).sendIpv4(100);
        first.checkpoint();
        first.commit(); // then its process dies
        try (NetworkBuffer adopted = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).listener(events).on(host).adopt()) {
            assertTrue(events.next(Attached.class).adopted());
            host.guest(VIF).sendIpv4(100);
            host.guest(VIF).sendIpv4(100);
            adopted.checkpoint();
            adopted.commit();
            events.next(Checkpointed.class);
            Committed c = events.next(Committed.class);
            assertEquals(1, c.epoch());
            assertEquals(2, c.packets(), "only this commit's, not what the first handle released");
            assertInstanceOf(Duration.class, c.callLatency());
        }
        host.assertClean();
    }
}
