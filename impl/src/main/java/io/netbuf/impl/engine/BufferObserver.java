package io.netbuf.impl.engine;

import io.netbuf.BufferStats;
import io.netbuf.EpochState;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBufferException;
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
import io.netbuf.impl.jfr.JfrEvents;
import io.netbuf.spi.PlugAction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a buffer's handle tells the outside about itself: epoch numbers, the figures of its last
 * commit, its listeners' events and its Flight Recorder events. The handle calls {@link #begin}
 * before each plug call and {@link #applied} or {@link #failed} after it, under its lock; the
 * events are queued for the listeners (see {@link EventDispatcher}), never delivered on the
 * caller's thread. Without listeners and without a recording, a checkpoint costs two clock reads.
 */
final class BufferObserver {
    private static final Logger LOG = LoggerFactory.getLogger(BufferObserver.class);

    private final BufferId id;
    private final Supplier<BufferStats> counters;
    private final List<BufferListener> listeners = new CopyOnWriteArrayList<>();
    private final EventDispatcher dispatcher;

    // guarded by the handle's lock
    private long epoch;
    private long callStart;
    private long closedAt;
    private Object jfr;
    private boolean marked;
    private long sentPackets;
    private long sentBytes;
    private long drops;
    private boolean unreadableLogged;

    private volatile Committed lastCommit;

    /**
     * @param id the buffer
     * @param counters reads the plug's counters from the kernel
     * @param initial listeners registered on the builder
     */
    BufferObserver(BufferId id, Supplier<BufferStats> counters, List<BufferListener> initial) {
        this.id = id;
        this.counters = counters;
        this.listeners.addAll(initial);
        this.dispatcher = new EventDispatcher(id.toString(), listeners);
    }

    BufferId id() {
        return id;
    }

    Committed lastCommit() {
        return lastCommit;
    }

    long epochs() {
        return epoch;
    }

    void addListener(BufferListener listener) {
        if (listener == null) {
            throw InvalidConfigurationException.of("listener", null, "must not be null");
        }
        if (!listeners.contains(listener)) {
            listeners.add(listener);
        }
    }

    boolean removeListener(BufferListener listener) {
        return listeners.remove(listener);
    }

    /**
     * The buffer was attached or adopted: the counters' starting point is zero for a plug just
     * created, and read from the kernel for an adopted one.
     */
    void attached(long limitBytes, boolean adopted) {
        mark(adopted ? counters() : new BufferStats(0, 0, 0, 0, 0));
        emit(new Attached(id, Instant.now(), limitBytes, adopted));
    }

    /** A plug call is about to be made. */
    void begin(PlugAction action) {
        callStart = System.nanoTime();
        jfr = JfrEvents.begin(call(action));
    }

    /**
     * The kernel accepted {@code action}, which {@link #begin} preceded.
     *
     * @param before the epoch state before it
     * @param previousLimit the limit before it
     */
    void applied(PlugAction action, EpochState before, long previousLimit) {
        long now = System.nanoTime();
        JfrEvents.end(jfr);
        Duration latency = Duration.ofNanos(now - callStart);
        BufferEvent event;
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                if (before == EpochState.RELEASED_INDEFINITELY) {
                    mark(counters()); // what passed while released is no commit's
                }
                epoch++;
                closedAt = now;
                event = listening() ? new Checkpointed(id, Instant.now(), epoch, latency) : null;
                break;
            case PlugAction.RELEASE_ONE_CODE:
                event = committed(now, latency);
                break;
            case PlugAction.RELEASE_INDEFINITE_CODE:
                event = listening() ? new ReleasedIndefinitely(id, Instant.now(), epoch, latency) : null;
                break;
            default:
                event = listening() ? new LimitChanged(id, Instant.now(), previousLimit, action.limit(), latency) : null;
        }
        if (event != null) {
            JfrEvents.commit(jfr, event);
            publish(event);
        }
        jfr = null;
    }

    private Committed committed(long now, Duration latency) {
        BufferStats after = counters();
        long packets = -1;
        long bytes = -1;
        if (after != null) {
            if (marked) {
                packets = after.sentPackets() - sentPackets;
                bytes = after.sentBytes() - sentBytes;
                if (after.drops() > drops) {
                    emit(new Dropped(id, Instant.now(), DropCause.OVER_LIMIT, after.drops() - drops, -1));
                }
            }
            mark(after);
        }
        Committed c = new Committed(id, Instant.now(), epoch, packets, bytes, Duration.ofNanos(now - closedAt),
                latency);
        lastCommit = c;
        return c;
    }

    /** The kernel refused {@code action}; the caller throws {@code failure} next. */
    void failed(PlugAction action, NetworkBufferException failure) {
        JfrEvents.end(jfr);
        jfr = null;
        failed(call(action).name().toLowerCase(Locale.ROOT), failure);
    }

    /** {@code operation} failed; the caller throws {@code failure} next. */
    void failed(String operation, NetworkBufferException failure) {
        emit(new Failed(id, Instant.now(), operation, failure));
    }

    /**
     * Reads what the plug holds before a teardown purges it (only when someone listens or records).
     *
     * @return the counters, or null when nobody would be told or they cannot be read
     */
    BufferStats beforeTeardown() {
        return listening() || JfrEvents.recording() ? counters() : null;
    }

    /** The teardown finished; {@code held} is what {@link #beforeTeardown()} read. */
    void closed(BufferStats held) {
        if (held != null) {
            if (marked && held.drops() > drops) {
                emit(new Dropped(id, Instant.now(), DropCause.OVER_LIMIT, held.drops() - drops, -1));
            }
            if (held.backlogPackets() > 0) {
                emit(new Dropped(id, Instant.now(), DropCause.PURGED, held.backlogPackets(), held.backlogBytes()));
            }
        }
        emit(new Closed(id, Instant.now(), epoch));
    }

    /** @return events dropped because a listener was too slow */
    long droppedEvents() {
        return dispatcher.dropped();
    }

    private boolean listening() {
        return !listeners.isEmpty() || JfrEvents.recording();
    }

    private void emit(BufferEvent event) {
        JfrEvents.instant(event);
        publish(event);
    }

    private void publish(BufferEvent event) {
        if (!listeners.isEmpty()) {
            dispatcher.publish(event);
        }
    }

    private void mark(BufferStats s) {
        if (s != null) {
            marked = true;
            sentPackets = s.sentPackets();
            sentBytes = s.sentBytes();
            drops = s.drops();
        }
    }

    /** @return the plug's counters now, or null (logged once) when they cannot be read */
    private BufferStats counters() {
        try {
            return counters.get();
        } catch (NetworkBufferException e) {
            if (!unreadableLogged) {
                unreadableLogged = true;
                LOG.warn("{}: cannot read the plug's counters, so released figures are unknown (-1): {}", id,
                        e.getMessage());
            }
            marked = false;
            return null;
        }
    }

    private static JfrEvents.Call call(PlugAction action) {
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                return JfrEvents.Call.CHECKPOINT;
            case PlugAction.RELEASE_ONE_CODE:
                return JfrEvents.Call.COMMIT;
            case PlugAction.RELEASE_INDEFINITE_CODE:
                return JfrEvents.Call.RELEASE_INDEFINITELY;
            default:
                return JfrEvents.Call.LIMIT;
        }
    }
}
