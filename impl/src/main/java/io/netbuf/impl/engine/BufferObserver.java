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
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a buffer's handle tells the outside about itself: epoch numbers, the figures of its last
 * commit, its listeners' events and its Flight Recorder events. The handle calls {@link #begin}
 * before each plug call and {@link #applied} or {@link #failed} after it, under its lock.
 *
 * <p>The checkpoint path does not read the kernel (but for the first checkpoint after a
 * release-indefinitely, which reads the counters the next commit starts from): without listeners
 * and without a recording a checkpoint or commit costs two clock reads and a small record. What a commit released is read
 * later, by whoever wants it ({@link #lastCommit()} on the caller's thread, the event dispatcher's
 * thread for listeners), under the handle's lock and only while that commit is still the last:
 * the plug's sent counters then minus the same counters read for the previous commit. While an
 * epoch is held nothing else leaves the plug, so the difference is exactly what this commit let
 * out (a packet the kernel had not dequeued yet at the read is counted by the next commit). When
 * the previous commit was never read (nobody asked before the next commit), the figures are
 * unknown (-1) and the read becomes the next commit's starting point.
 */
final class BufferObserver {
    private static final Logger LOG = LoggerFactory.getLogger(BufferObserver.class);
    private static final long NONE = -1;
    /** Whether this runtime has Flight Recorder (a jlinked one may not): without it no JFR class is touched. */
    private static final boolean JFR = ModuleLayer.boot().findModule("jdk.jfr").isPresent();
    /**
     * How long after a commit its figures are read (if it is still the last): the kernel has sent
     * the released epoch by then, and a controller checkpointing faster than this (a benchmark's
     * loop) never has the event thread read the kernel under it.
     */
    static final long SETTLE_NANOS = 1_000_000;

    private final BufferId id;
    private final ReentrantLock lock;
    private final Supplier<BufferStats> counters;
    private final List<BufferListener> listeners = new CopyOnWriteArrayList<>();
    private final EventDispatcher dispatcher;

    // guarded by lock
    private long epoch;
    private long callStart;
    private long closedAt;
    private Object jfr;
    /** The epoch of the commit whose window the baseline was read in (0: attach), or NONE. */
    private volatile long baselineEpoch = NONE;
    private long sentPackets;
    private long sentBytes;
    private long drops;
    private boolean unreadableLogged;

    private volatile Committed lastCommit;
    private volatile long lastCommitNanos;

    /**
     * @param id the buffer
     * @param lock the handle's lock, held by every caller of the plug actions
     * @param counters reads the plug's counters from the kernel
     * @param initial listeners registered on the builder
     */
    BufferObserver(BufferId id, ReentrantLock lock, Supplier<BufferStats> counters, List<BufferListener> initial) {
        this.id = id;
        this.lock = lock;
        this.counters = counters;
        this.listeners.addAll(initial);
        this.dispatcher = new EventDispatcher(id.toString(), listeners, this::resolve);
    }

    /** @return the last commit, its figures read now if nobody read them yet */
    Committed lastCommit() {
        Committed last = lastCommit;
        if (last == null || last.figuresKnown()) {
            return last;
        }
        lock.lock();
        try {
            List<BufferEvent> found = new ArrayList<>(2);
            Committed resolved = resolveCommit(lastCommit, found);
            for (BufferEvent e : found) {
                if (e != resolved) {
                    emit(e);
                }
            }
            return resolved;
        } finally {
            lock.unlock();
        }
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
        lock.lock();
        try {
            baseline(adopted ? counters() : new BufferStats(0, 0, 0, 0, 0), 0);
            emit(new Attached(id, Instant.now(), limitBytes, adopted));
        } finally {
            lock.unlock();
        }
    }

    /** A plug call is about to be made. */
    void begin(PlugAction action) {
        callStart = System.nanoTime();
        jfr = JFR ? JfrEvents.begin(call(action)) : null;
    }

    /**
     * The kernel accepted {@code action}, which {@link #begin} preceded.
     *
     * @param before the epoch state before it
     * @param previousLimit the limit before it
     */
    void applied(PlugAction action, EpochState before, long previousLimit) {
        long now = System.nanoTime();
        if (jfr != null) {
            JfrEvents.end(jfr);
        }
        long latency = now - callStart;
        BufferEvent event;
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                epoch++;
                closedAt = now;
                if (before == EpochState.RELEASED_INDEFINITELY) {
                    // what passed while released is no commit's: the next commit counts from here (the
                    // one read on the checkpoint path, and only on this rare transition)
                    baseline(counters(), epoch - 1);
                }
                event = listening() ? new Checkpointed(id, Instant.now(), epoch, Duration.ofNanos(latency)) : null;
                break;
            case PlugAction.RELEASE_ONE_CODE:
                lastCommitNanos = now;
                lastCommit = new Committed(id, Instant.now(), epoch, NONE, NONE, Duration.ofNanos(now - closedAt),
                        Duration.ofNanos(latency));
                event = lastCommit;
                break;
            case PlugAction.RELEASE_INDEFINITE_CODE:
                baselineEpoch = NONE;
                event = listening() ? new ReleasedIndefinitely(id, Instant.now(), epoch, Duration.ofNanos(latency))
                        : null;
                break;
            default:
                event = listening() ? new LimitChanged(id, Instant.now(), previousLimit, action.limit(),
                        Duration.ofNanos(latency)) : null;
        }
        if (event != null && (jfr != null || !listeners.isEmpty())) {
            if (jfr != null) {
                // a recording is on: its events carry the figures, read now (diagnostics may cost a read)
                for (BufferEvent e : resolve(event)) {
                    if (e instanceof Dropped) {
                        JfrEvents.instant(e);
                    } else {
                        JfrEvents.commit(jfr, e);
                    }
                    publish(e);
                }
            } else {
                publish(event);
            }
        }
        jfr = null;
    }

    /** The kernel refused {@code action}; the caller throws {@code failure} next. */
    void failed(PlugAction action, NetworkBufferException failure) {
        if (jfr != null) {
            JfrEvents.end(jfr);
        }
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
        return listening() ? counters() : null;
    }

    /** The teardown finished; {@code held} is what {@link #beforeTeardown()} read. */
    void closed(BufferStats held) {
        if (held != null) {
            if (baselineEpoch != NONE && held.drops() > drops) {
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

    /**
     * Completes an event before it is delivered (on the dispatcher's thread, or the caller's while
     * a recording runs): a commit that is still the last gets its figures.
     *
     * @return the events to deliver in its place, in order (drops seen by the read first), or null
     *     for a commit younger than {@link #SETTLE_NANOS} that is still the last (not ready yet)
     */
    private List<BufferEvent> resolve(BufferEvent event) {
        // cheap checks first: most events need no read, and the handle's lock is the checkpoint path's
        Committed last = lastCommit;
        boolean commit = event instanceof Committed && !((Committed) event).figuresKnown() && last != null
                && last.epoch() == ((Committed) event).epoch();
        if (commit && !lock.isHeldByCurrentThread() && System.nanoTime() - lastCommitNanos < SETTLE_NANOS) {
            return null; // too fresh: read once it has settled, if it is still the last then
        }
        if (!commit) {
            if (event instanceof Committed && last != null && last.epoch() == ((Committed) event).epoch()) {
                return List.of(last); // already read (by lastCommit()): delivered as read
            }
            return List.of(event); // not a commit, or superseded by a later commit before anyone read it
        }
        boolean mine = lock.isHeldByCurrentThread();
        if (!mine && !lock.tryLock()) {
            // The handle is busy on the checkpoint path: never wait for it (a waiter would make every
            // unlock there wake this thread); try again at a later tick, when it may be superseded.
            return null;
        }
        try {
            List<BufferEvent> out = new ArrayList<>(2);
            resolveCommit((Committed) event, out);
            return out;
        } finally {
            if (!mine) {
                lock.unlock();
            }
        }
    }

    /**
     * Reads the figures of {@code c} if it is still the last commit (lock held); adds any drops
     * seen and then the commit, resolved or not, to {@code out}.
     *
     * @return the commit as delivered
     */
    private Committed resolveCommit(Committed c, List<BufferEvent> out) {
        Committed result = c;
        Committed last = lastCommit;
        if (last != null && last.epoch() == c.epoch() && !last.figuresKnown()) {
            long startEpoch = baselineEpoch;
            long dropsBefore = drops;
            BufferStats now = counters();
            if (now != null) {
                if (startEpoch == c.epoch() - 1) {
                    result = new Committed(c.buffer(), c.time(), c.epoch(), now.sentPackets() - sentPackets,
                            now.sentBytes() - sentBytes, c.checkpointToCommit(), c.callLatency());
                    if (now.drops() > dropsBefore) {
                        out.add(new Dropped(id, Instant.now(), DropCause.OVER_LIMIT, now.drops() - dropsBefore, -1));
                    }
                }
                baseline(now, c.epoch());
                lastCommit = result;
            }
        } else if (last != null && last.epoch() == c.epoch()) {
            result = last;
        }
        out.add(result);
        return result;
    }

    private boolean listening() {
        return !listeners.isEmpty() || JFR && JfrEvents.recording();
    }

    private void emit(BufferEvent event) {
        if (JFR) {
            JfrEvents.instant(event);
        }
        publish(event);
    }

    private void publish(BufferEvent event) {
        if (!listeners.isEmpty()) {
            dispatcher.publish(event);
        }
    }

    private void baseline(BufferStats s, long commitEpoch) {
        if (s != null) {
            baselineEpoch = commitEpoch;
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
            baselineEpoch = NONE;
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
