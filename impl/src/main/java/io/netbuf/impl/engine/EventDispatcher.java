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
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one buffer's events to its listeners, in order, off the caller's thread. The caller
 * only offers the event to a bounded queue (full: the event is dropped, counted and warned about
 * once) and, when the queue was idle, puts the dispatcher on a shared list; a shared ticker
 * thread hands listed dispatchers to a pool every {@link #TICK_MILLIS} ms, so the caller never
 * wakes a thread. A listener that throws is logged once per listener class and event kind; one
 * that blocks holds only its own dispatcher's pool thread.
 */
final class EventDispatcher {
    private static final Logger LOG = LoggerFactory.getLogger(EventDispatcher.class);
    /** Events one buffer may have waiting (a power of two). */
    static final int CAPACITY = 4096;
    private static final int MASK = CAPACITY - 1;
    /** How often waiting events are handed to the pool. */
    static final long TICK_MILLIS = 1;

    private static final Queue<EventDispatcher> READY = new ConcurrentLinkedQueue<>();
    private static final Set<String> REPORTED = ConcurrentHashMap.newKeySet();
    private static final AtomicBoolean TICKING = new AtomicBoolean();
    private static ScheduledExecutorService ticker;
    private static ExecutorService pool;

    private final String name;
    private final List<BufferListener> listeners;
    private final Function<BufferEvent, List<BufferEvent>> resolver;
    /** A single-producer single-consumer ring: producers are serialized by the handle's lock, the consumer by {@link #listed}. */
    private final BufferEvent[] ring = new BufferEvent[CAPACITY];
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private final AtomicBoolean listed = new AtomicBoolean();
    private final AtomicLong dropped = new AtomicLong();
    /**
     * The producer's last read of {@link #head}: re-read only when the ring looks full, so the
     * checkpoint path does not pull the consumer's cache line on every event.
     */
    private long headSeen;

    /**
     * @param name the buffer, for the log
     * @param listeners the live list of listeners (read at each delivery)
     * @param resolver completes each event before delivery (e.g. reads a commit's figures) and
     *     returns what to deliver in its place, or null when the event is not ready yet (it is then
     *     tried again at a later tick, and the events behind it wait)
     */
    EventDispatcher(String name, List<BufferListener> listeners, Function<BufferEvent, List<BufferEvent>> resolver) {
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
        long t = tail.get();
        if (t - headSeen >= CAPACITY) {
            headSeen = head.get();
        }
        if (t - headSeen < CAPACITY) {
            ring[(int) (t & MASK)] = event;
            tail.set(t + 1); // volatile: ordered before the listed check below, which the consumer pairs with
        } else {
            if (dropped.getAndIncrement() == 0) {
                LOG.warn("{}: a listener is too slow, its event queue ({} events) is full: newer events are dropped "
                        + "(the buffer is not affected)", name, CAPACITY);
            }
            return;
        }
        if (!listed.get() && listed.compareAndSet(false, true)) {
            READY.add(this);
            startTicker();
        }
    }

    /** @return events dropped because the queue was full */
    long dropped() {
        return dropped.get();
    }

    private void drain() {
        long h = head.get();
        try {
            for (long end = tail.get(); h != end; h++) {
                int slot = (int) (h & MASK);
                List<BufferEvent> resolved = resolver.apply(ring[slot]);
                if (resolved == null) {
                    break; // not ready yet: it stays first, a later tick tries again
                }
                ring[slot] = null;
                for (BufferEvent event : resolved) {
                    for (BufferListener listener : listeners) {
                        deliver(event, listener);
                    }
                }
            }
        } finally {
            head.set(h); // once per batch: the producer reads it only when the ring looks full
            listed.set(false);
            if (head.get() != tail.get() && listed.compareAndSet(false, true)) {
                READY.add(this);
            }
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
        ticker = Executors.newSingleThreadScheduledExecutor(daemon(() -> "netbuf-events-ticker"));
        ticker.scheduleWithFixedDelay(EventDispatcher::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }

    private static void tick() {
        EventDispatcher ready;
        while ((ready = READY.poll()) != null) {
            pool.execute(ready::drain);
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
