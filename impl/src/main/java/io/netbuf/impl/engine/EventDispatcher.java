package io.netbuf.impl.engine;

import io.netbuf.event.BufferEvent;
import io.netbuf.event.BufferListener;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one buffer's events to its listeners, in order, off the caller's thread.
 *
 * <p>The caller only writes to a bounded ring (full: the event is dropped, counted and warned
 * about once) and, when the ring was idle, puts the dispatcher on a shared list. Checkpoints and
 * commits, the frequent events, go in as numbers and become event objects on the delivering
 * thread, so the checkpoint path allocates nothing and reads no wall clock. One shared event
 * thread looks at the list every {@link #TICK_MILLIS} ms and drains every listed dispatcher in
 * turn; the caller never wakes a thread. A listener that throws is logged once per listener class
 * and event kind. One that blocks holds its own dispatcher and the event thread it runs on: a
 * watchdog then starts another event thread for the other dispatchers after {@link #STUCK_MILLIS}
 * ms (the blocked one ends once its listener returns).
 */
final class EventDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);
    /** Events one buffer may have waiting (a power of two). */
    static final int CAPACITY = 2048;
    private static final int MASK = CAPACITY - 1;
    /** How often the event thread looks for waiting events. */
    static final long TICK_MILLIS = 1;
    /** How often it looks after {@link #IDLE_AFTER_TICKS} ticks without events. */
    static final long IDLE_TICK_MILLIS = 5;
    static final int IDLE_AFTER_TICKS = 1000;
    /** How long the event thread may stand still (a listener blocks it) before another takes over. */
    static final long STUCK_MILLIS = 10;

    /** Slot kinds. */
    static final int EVENT = 0;
    static final int CHECKPOINT = 1;
    static final int COMMIT = 2;
    private static final int STRIDE = 4;
    private static final int KIND_SHIFT = 56;
    private static final long EPOCH_MASK = (1L << KIND_SHIFT) - 1;

    private static final Queue<EventDispatcher> READY = new ConcurrentLinkedQueue<>();
    /** Dispatchers whose first event was not ready: listed again at the next tick, not at once. */
    private static final Queue<EventDispatcher> DEFERRED = new ConcurrentLinkedQueue<>();
    /**
     * Dispatchers that went idle: looked at once more at the next tick, for an event whose slot the
     * producer published (a release store, no fence) while the worker was un-listing it.
     */
    private static final Queue<EventDispatcher> IDLE = new ConcurrentLinkedQueue<>();
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean TICKING = new AtomicBoolean();
    /** The current event thread's generation: a blocked one is replaced, and ends once unblocked. */
    private static final AtomicLong GENERATION = new AtomicLong();
    /** The {@link System#nanoTime()} of the event thread's last tick or drained dispatcher. */
    private static volatile long beat;
    private static ScheduledExecutorService watchdog;
    private static ExecutorService pool;

    /** Turns a ring slot into the events to deliver. */
    interface Resolver {
        /**
         * @param kind {@link #EVENT}, {@link #CHECKPOINT} or {@link #COMMIT}
         * @param event the event ({@link #EVENT} only, else null)
         * @param epoch the epoch (checkpoint, commit)
         * @param at {@link System#nanoTime()} when the kernel accepted the call (checkpoint, commit)
         * @param latency the plug call's duration in ns (checkpoint, commit)
         * @param span checkpoint to commit in ns (commit)
         * @param out takes the events to deliver in its place, in order
         * @return false when the slot is not ready yet (nothing was given to {@code out}): it is tried
         *     again at a later tick, and the events behind it wait
         */
        boolean resolve(int kind, BufferEvent event, long epoch, long at, long latency, long span,
                Consumer<BufferEvent> out);
    }

    private final String name;
    private final List<BufferListener> listeners;
    private final Resolver resolver;
    private final Consumer<BufferEvent> deliverAll = this::deliverAll;
    /** A single-producer single-consumer ring: producers are serialized by the handle's lock, the consumer by {@link #listed}. */
    private BufferEvent[] events;
    private long[] numbers;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final AtomicBoolean listed = new AtomicBoolean();
    /** Whether this dispatcher waits in {@link #IDLE}. */
    private final AtomicBoolean idleQueued = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();
    /**
     * The producer's last read of {@link #head}: re-read only when the ring looks full, so the
     * checkpoint path does not pull the consumer's cache line on every event.
     */
    private long headSeen;

    /**
     * @param name the buffer, for the log
     * @param listeners the live list of listeners (read at each delivery)
     * @param resolver completes each slot before delivery (e.g. reads a commit's figures)
     */
    EventDispatcher(String name, List<BufferListener> listeners, Resolver resolver) {
        this.name = name;
        this.listeners = listeners;
        this.resolver = resolver;
    }

    /**
     * Queues an event for delivery; never blocks. Callers hold the handle's lock (one producer at a time).
     *
     * @param event the event
     */
    void publish(BufferEvent event) {
        long t = claim();
        if (t >= 0) {
            events[(int) (t & MASK)] = event;
            numbers[(int) (t & MASK) * STRIDE] = (long) EVENT << KIND_SHIFT;
            commit(t);
        }
    }

    /**
     * Queues a checkpoint or a commit as numbers; allocates nothing. Callers hold the handle's lock.
     *
     * @param kind {@link #CHECKPOINT} or {@link #COMMIT}
     * @param epoch the epoch
     * @param at {@link System#nanoTime()} when the kernel accepted the call
     * @param latency the call's duration in ns
     * @param span checkpoint to commit in ns (commits)
     */
    void publish(int kind, long epoch, long at, long latency, long span) {
        long t = claim();
        if (t >= 0) {
            int base = (int) (t & MASK) * STRIDE;
            long[] n = numbers;
            n[base] = (long) kind << KIND_SHIFT | epoch & EPOCH_MASK;
            n[base + 1] = at;
            n[base + 2] = latency;
            n[base + 3] = span;
            commit(t);
        }
    }

    /** @return events dropped because the queue was full */
    long dropped() {
        return dropped.get();
    }

    /** @return the slot to write, or -1 when the ring is full (the event is dropped) */
    private long claim() {
        if (events == null) {
            // allocated at the first event: a buffer nobody listens to costs no ring
            events = new BufferEvent[CAPACITY];
            numbers = new long[CAPACITY * STRIDE];
        }
        long t = tail.get();
        if (t - headSeen >= CAPACITY) {
            headSeen = head.get();
        }
        if (t - headSeen < CAPACITY) {
            return t;
        }
        if (dropped.getAndIncrement() == 0) {
            LOG.warn("{}: a listener is too slow, its event queue ({} events) is full: newer events are dropped "
                    + "(the buffer is not affected)", name, CAPACITY);
        }
        return -1;
    }

    private void commit(long t) {
        // A release store, no fence: the slot's contents are visible before the new tail. A worker
        // un-listing the dispatcher at this moment may miss it; the next tick looks again (IDLE).
        tail.setRelease(t + 1);
        if (!listed.get() && listed.compareAndSet(false, true)) {
            READY.add(this);
            startTicker();
        }
    }

    /** Delivers what is waiting, in order, up to a slot that is not ready. */
    private void drain() {
        long h = head.get();
        boolean waiting = false;
        try {
            // tail's volatile read pairs with the producer's release store: the slots are written
            for (long end = tail.get(); h != end; h++) {
                int slot = (int) (h & MASK);
                long first = numbers[slot * STRIDE];
                int kind = (int) (first >>> KIND_SHIFT);
                boolean ready = kind == EVENT
                        ? resolver.resolve(EVENT, events[slot], 0, 0, 0, 0, deliverAll)
                        : resolver.resolve(kind, null, first & EPOCH_MASK, numbers[slot * STRIDE + 1],
                                numbers[slot * STRIDE + 2], numbers[slot * STRIDE + 3], deliverAll);
                if (!ready) {
                    waiting = true;
                    break; // not ready yet: it stays first, a later tick tries again
                }
                events[slot] = null;
            }
        } finally {
            head.set(h); // once per batch: the producer reads it only when the ring looks full
            if (waiting) {
                DEFERRED.add(this); // still listed: the producer does not list it again
            } else {
                listed.set(false);
                if (head.get() != tail.get() && listed.compareAndSet(false, true)) {
                    READY.add(this);
                } else if (!idleQueued.get() && idleQueued.compareAndSet(false, true)) {
                    IDLE.add(this); // once: IDLE holds each dispatcher at most once, however often it idles
                }
            }
        }
    }

    private void deliverAll(BufferEvent event) {
        for (BufferListener listener : listeners) {
            deliver(event, listener);
        }
    }

    private void deliver(BufferEvent event, BufferListener listener) {
        try {
            event.deliverTo(listener);
        } catch (RuntimeException | Error e) {
            if (e instanceof VirtualMachineError) {
                throw e;
            }
            String key = listener.getClass().getName() + "#" + event.getClass().getSimpleName();
            if (REPORTED.add(key)) {
                LOG.warn("{}: listener {} threw on {} (logged once per listener class and event kind; it keeps "
                        + "receiving events)", name, listener.getClass().getName(), event.getClass().getSimpleName(), e);
            }
        }
    }

    private static void startTicker() {
        if (TICKING.get() || !TICKING.compareAndSet(false, true)) {
            return;
        }
        AtomicInteger workers = new AtomicInteger();
        pool = Executors.newCachedThreadPool(daemon(() -> "netbuf-events-" + workers.incrementAndGet()));
        watchdog = Executors.newSingleThreadScheduledExecutor(daemon(() -> "netbuf-events-watchdog"));
        long generation = GENERATION.incrementAndGet();
        beat = System.nanoTime();
        pool.execute(() -> drainer(generation));
        watchdog.scheduleWithFixedDelay(EventDispatcher::watch, STUCK_MILLIS, STUCK_MILLIS, TimeUnit.MILLISECONDS);
    }

    /**
     * The event thread of generation {@code generation}: every {@link #TICK_MILLIS} ms (every
     * {@link #IDLE_TICK_MILLIS} ms after a second without events) it drains every listed
     * dispatcher; it ends when the watchdog has started a newer generation (it was blocked).
     */
    private static void drainer(long generation) {
        int idleTicks = 0;
        while (GENERATION.get() == generation) {
            EventDispatcher d;
            while ((d = DEFERRED.poll()) != null) {
                READY.add(d);
            }
            while ((d = IDLE.poll()) != null) {
                d.idleQueued.set(false);
                if (d.head.get() != d.tail.get() && d.listed.compareAndSet(false, true)) {
                    READY.add(d);
                }
            }
            boolean drained = false;
            while ((d = READY.poll()) != null) {
                d.drain();
                drained = true;
                beat = System.nanoTime();
                if (GENERATION.get() != generation) {
                    return; // a newer event thread took over while this one was blocked
                }
            }
            beat = System.nanoTime();
            idleTicks = drained ? 0 : Math.min(idleTicks + 1, IDLE_AFTER_TICKS);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(
                    idleTicks >= IDLE_AFTER_TICKS ? IDLE_TICK_MILLIS : TICK_MILLIS));
        }
    }

    /**
     * Starts a new event thread when events wait and the current one has not moved for {@link
     * #STUCK_MILLIS} ms (longer than its idle tick: only a listener can hold it that long).
     */
    private static void watch() {
        boolean waiting = !READY.isEmpty() || !DEFERRED.isEmpty();
        if (waiting && System.nanoTime() - beat > TimeUnit.MILLISECONDS.toNanos(STUCK_MILLIS)) {
            beat = System.nanoTime();
            long generation = GENERATION.incrementAndGet();
            LOG.debug("the event thread has been blocked by a listener for {} ms: starting another", STUCK_MILLIS);
            pool.execute(() -> drainer(generation));
        }
    }

    private static ThreadFactory daemon(java.util.function.Supplier<String> names) {
        return r -> {
            Thread t = new Thread(r, names.get());
            t.setDaemon(true);
            return t;
        };
    }
}
