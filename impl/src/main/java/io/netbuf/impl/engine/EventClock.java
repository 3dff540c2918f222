package io.netbuf.impl.engine;

import java.time.Instant;

/**
 * Turns {@link System#nanoTime()} readings into wall-clock times for events, so that the checkpoint
 * path reads one clock (the monotonic one it times calls with) and the wall clock is read at most
 * once a second, by whoever builds an event. The pair it converts with is renewed when an event is
 * more than a second younger than it, so the monotonic clock's drift from the wall clock never adds
 * up.
 */
final class EventClock {
    private static final long RENEW_NANOS = 1_000_000_000L;

    private record Pair(long nanos, Instant wall) {
        static Pair now() {
            long nanos = System.nanoTime();
            return new Pair(nanos, Instant.now());
        }
    }

    private static volatile Pair pair = Pair.now();

    private EventClock() {
    }

    /** @return the wall-clock time of the {@link System#nanoTime()} reading {@code nanos} */
    static Instant at(long nanos) {
        Pair p = pair;
        if (nanos - p.nanos() > RENEW_NANOS) {
            p = Pair.now();
            pair = p;
        }
        return p.wall().plusNanos(nanos - p.nanos());
    }

    /** @return the wall-clock time now, on the same scale as {@link #at(long)} */
    static Instant now() {
        return at(System.nanoTime());
    }
}
