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
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a buffer's handle tells the outside about itself: epoch numbers, the figures of its last
 * commit, its listeners' events and its Flight Recorder events. The handle calls {@link #begin}
 * before each plug call and {@link #applied} or {@link #failed} after it, under its lock, with the
 * {@link System#nanoTime()} readings it took (a group takes one pair for all its members).
 *
 * <p>The checkpoint path allocates nothing, reads no wall clock and does not read the kernel (but
 * for the first checkpoint after a release-indefinitely, which reads the counters the next commit
 * starts from): it stores a few numbers, and with listeners queues them ({@link EventDispatcher}).
 * Event objects are built later, on the event thread or by whoever asks. What a commit released is
 * read later too, by whoever wants it ({@link #lastCommit()} on the caller's thread, the event
 * thread for listeners), under the handle's lock and only while that commit is still the last: the
 * plug's sent counters then minus the same counters read for the previous commit. While an epoch
 * is held nothing else leaves the plug, so the difference is exactly what this commit let out (a
 * packet the kernel had not dequeued yet at the read is counted by the next commit). When the
 * previous commit was never read (nobody asked before the next commit), the figures are unknown
 * (-1) and the read becomes the next commit's starting point. While a Flight Recorder recording
 * runs, events are built and read at once on the caller's thread (diagnostics may cost a read).
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
    private static final VarHandle LAST_EPOCH;

    static {
        try {
            LAST_EPOCH = MethodHandles.lookup().findVarHandle(BufferObserver.class, "lastEpoch", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

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

    /**
     * The last commit, as numbers: its epoch (0: none yet; written last, with release semantics, so
     * that the event thread can tell without the lock whether a commit is still the last) and, read
     * under the lock only, when it was accepted, how long its epoch was closed and its call took.
     */
    @SuppressWarnings("unused") // through LAST_EPOCH
    private long lastEpoch;
    private long lastAt;
    private long lastSpan;
    private long lastLatency;
    /** The last commit as built (figures read, or known to be unknown); null or older: not built yet. */
    private volatile Committed lastBuilt;

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

    /** @return the last commit, its figures read now if nobody read them yet; null before the first */
    Committed lastCommit() {
        long last = (long) LAST_EPOCH.getAcquire(this);
        if (last == 0) {
            return null;
        }
        Committed built = lastBuilt;
        if (built != null && built.epoch() == last) {
            return built;
        }
        lock.lock();
        try {
            // the drops the read saw are told; the commit itself is (or was) queued already
            return buildLast(e -> {
                if (!(e instanceof Committed)) {
                    emit(e);
                }
            });
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
            emit(new Attached(id, EventClock.now(), limitBytes, adopted));
        } finally {
            lock.unlock();
        }
    }

    /**
     * A plug call is about to be made.
     *
     * @param now {@link System#nanoTime()} before the call
     */
    void begin(PlugAction action, long now) {
        callStart = now;
        jfr = JFR ? JfrEvents.begin(call(action)) : null;
    }

    /**
     * The kernel accepted {@code action}, which {@link #begin} preceded.
     *
     * @param before the epoch state before it
     * @param previousLimit the limit before it
     * @param now {@link System#nanoTime()} after the call
     */
    void applied(PlugAction action, EpochState before, long previousLimit, long now) {
        Object recorded = jfr;
        jfr = null;
        if (recorded != null) {
            JfrEvents.end(recorded);
        }
        long latency = now - callStart;
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                epoch++;
                closedAt = now;
                if (before == EpochState.RELEASED_INDEFINITELY) {
                    // what passed while released is no commit's: the next commit counts from here (the
                    // one read on the checkpoint path, and only on this rare transition)
                    baseline(counters(), epoch - 1);
                }
                if (recorded != null) {
                    record(recorded, new Checkpointed(id, EventClock.at(now), epoch, Duration.ofNanos(latency)));
                } else if (!listeners.isEmpty()) {
                    dispatcher.publish(EventDispatcher.CHECKPOINT, epoch, now, latency, 0);
                }
                break;
            case PlugAction.RELEASE_ONE_CODE:
                lastAt = now;
                lastSpan = now - closedAt;
                lastLatency = latency;
                LAST_EPOCH.setRelease(this, epoch);
                if (recorded != null) {
                    record(recorded, null);
                } else if (!listeners.isEmpty()) {
                    dispatcher.publish(EventDispatcher.COMMIT, epoch, now, latency, lastSpan);
                }
                break;
            case PlugAction.RELEASE_INDEFINITE_CODE:
                baselineEpoch = NONE;
                if (recorded != null || !listeners.isEmpty()) {
                    record(recorded, new ReleasedIndefinitely(id, EventClock.at(now), epoch, Duration.ofNanos(latency)));
                }
                break;
            default:
                if (recorded != null || !listeners.isEmpty()) {
                    record(recorded, new LimitChanged(id, EventClock.at(now), previousLimit, action.limit(),
                            Duration.ofNanos(latency)));
                }
        }
    }

    /**
     * Completes the recorded plug call's event with {@code event} (null: the last commit, read
     * now) and queues it for the listeners.
     */
    private void record(Object recorded, BufferEvent event) {
        Consumer<BufferEvent> out = e -> {
            if (recorded != null) {
                if (e instanceof Dropped) {
                    JfrEvents.instant(e);
                } else {
                    JfrEvents.commit(recorded, e);
                }
            }
            publish(e);
        };
        if (event == null) {
            buildLast(out);
        } else {
            out.accept(event);
        }
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
        emit(new Failed(id, EventClock.now(), operation, failure));
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
                emit(new Dropped(id, EventClock.now(), DropCause.OVER_LIMIT, held.drops() - drops, -1));
            }
            if (held.backlogPackets() > 0) {
                emit(new Dropped(id, EventClock.now(), DropCause.PURGED, held.backlogPackets(), held.backlogBytes()));
            }
        }
        emit(new Closed(id, EventClock.now(), epoch));
    }

    /** @return events dropped because a listener was too slow */
    long droppedEvents() {
        return dispatcher.dropped();
    }

    /**
     * Builds a queued slot's events (on the dispatcher's thread): a commit that is still the last
     * gets its figures.
     *
     * @param out takes the events to deliver in its place, in order (drops seen by the read first)
     * @return false for a commit younger than {@link #SETTLE_NANOS} that is still the last (not
     *     ready yet), or whose handle is busy
     */
    private boolean resolve(int kind, BufferEvent event, long slotEpoch, long at, long latency, long span,
            Consumer<BufferEvent> out) {
        if (kind == EventDispatcher.CHECKPOINT) {
            out.accept(new Checkpointed(id, EventClock.at(at), slotEpoch, Duration.ofNanos(latency)));
            return true;
        }
        if (kind != EventDispatcher.COMMIT) {
            out.accept(event);
            return true;
        }
        // cheap checks first: most commits need no read, and the handle's lock is the checkpoint path's
        Committed built = lastBuilt;
        if (built != null && built.epoch() == slotEpoch) {
            out.accept(built); // already read (by lastCommit()): delivered as read
            return true;
        }
        if ((long) LAST_EPOCH.getAcquire(this) != slotEpoch) {
            // superseded by a later commit before anyone read it: the figures are unknown
            out.accept(new Committed(id, EventClock.at(at), slotEpoch, NONE, NONE, Duration.ofNanos(span),
                    Duration.ofNanos(latency)));
            return true;
        }
        if (System.nanoTime() - at < SETTLE_NANOS) {
            return false; // too fresh: read once it has settled, if it is still the last then
        }
        if (!lock.tryLock()) {
            // The handle is busy on the checkpoint path: never wait for it (a waiter would make every
            // unlock there wake this thread); try again at a later tick, when it may be superseded.
            return false;
        }
        try {
            if ((long) LAST_EPOCH.getAcquire(this) != slotEpoch) {
                return resolve(kind, null, slotEpoch, at, latency, span, out); // superseded meanwhile
            }
            buildLast(out);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Builds the last commit (lock held), reading its figures if the baseline is the previous
     * commit's; gives any drops the read saw and then the commit to {@code out}.
     *
     * @return the commit as built
     */
    private Committed buildLast(Consumer<BufferEvent> out) {
        long last = (long) LAST_EPOCH.getAcquire(this);
        Committed built = lastBuilt;
        if (built == null || built.epoch() != last) {
            long packets = NONE;
            long bytes = NONE;
            long startEpoch = baselineEpoch;
            long dropsBefore = drops;
            BufferStats now = counters();
            if (now != null) {
                if (startEpoch == last - 1) {
                    packets = now.sentPackets() - sentPackets;
                    bytes = now.sentBytes() - sentBytes;
                    if (now.drops() > dropsBefore) {
                        out.accept(new Dropped(id, EventClock.now(), DropCause.OVER_LIMIT, now.drops() - dropsBefore,
                                -1));
                    }
                }
                baseline(now, last);
            }
            built = new Committed(id, EventClock.at(lastAt), last, packets, bytes, Duration.ofNanos(lastSpan),
                    Duration.ofNanos(lastLatency));
            lastBuilt = built;
        }
        out.accept(built);
        return built;
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
