package io.netbuf.impl.engine;

import io.netbuf.BufferStats;
import io.netbuf.EpochState;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.Validate;
import io.netbuf.event.BufferId;
import io.netbuf.event.BufferListener;
import io.netbuf.event.Committed;
import io.netbuf.spi.BufferSpec;
import io.netbuf.spi.Host;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An attached buffer. Tracks the epoch state so that the plug is never asked for a second BUFFER
 * while a closed epoch is unreleased (the kernel would lose track of it). Thread-safe; the
 * checkpoint path allocates nothing beyond what the backend does, with or without listeners.
 */
final class AttachedBuffer implements NetworkBuffer {
    private static final Logger LOG = LoggerFactory.getLogger(AttachedBuffer.class);

    private static final AtomicLong SERIALS = new AtomicLong();

    private final long serial = SERIALS.incrementAndGet();
    private final Host host;
    private final BufferSpec spec;
    private final String ifb;
    private final boolean createdIfb;
    private final Ipv6AddrGenMode restoreMode;
    private final List<String> ifbAsList;
    private final BufferObserver observer;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile EpochState epoch = EpochState.OPEN;
    private volatile long limit;
    private boolean tornDown;

    /**
     * @param restoreMode the IPv6 address generation mode the IFB had before the attach set
     *     {@code none}, to put back at teardown; null when there is nothing to restore
     */
    AttachedBuffer(Host host, BufferSpec spec, String ifb, boolean createdIfb, Ipv6AddrGenMode restoreMode) {
        this.host = host;
        this.spec = spec;
        this.ifb = ifb;
        this.createdIfb = createdIfb;
        this.restoreMode = restoreMode;
        this.ifbAsList = List.of(ifb);
        this.limit = spec.limitBytes();
        this.observer = new BufferObserver(BufferId.of(spec.vif(), ifb, spec.xenbusPath()), lock, this::readStats,
                spec.listeners());
    }

    /** Tells the listeners (and the flight recorder) that the buffer is in place. */
    void announce(boolean adopted) {
        observer.attached(limit, adopted);
    }

    BufferObserver observer() {
        return observer;
    }

    /** @return a number fixed at creation, giving groups a global lock order */
    long serial() {
        return serial;
    }

    Host host() {
        return host;
    }

    ReentrantLock lock() {
        return lock;
    }

    @Override
    public String vif() {
        return spec.vif();
    }

    @Override
    public String ifb() {
        return ifb;
    }

    @Override
    public long limit() {
        return limit;
    }

    @Override
    public Optional<String> xenbusPath() {
        return spec.xenbus();
    }

    @Override
    public void checkpoint() {
        lock.lock();
        try {
            requireCheckpointAllowed();
            apply(PlugAction.BUFFER);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void commit() {
        lock.lock();
        try {
            requireCommitAllowed();
            apply(PlugAction.RELEASE_ONE);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void releaseIndefinitely() {
        lock.lock();
        try {
            requireOpen();
            apply(PlugAction.RELEASE_INDEFINITE);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void changeLimit(long bytes) {
        Validate.limit(bytes);
        lock.lock();
        try {
            requireOpen();
            apply(PlugAction.limit(bytes));
        } finally {
            lock.unlock();
        }
    }

    @Override
    public BufferStats stats() {
        requireOpen();
        return readStats();
    }

    @Override
    public Optional<Committed> lastCommit() {
        return Optional.ofNullable(observer.lastCommit());
    }

    @Override
    public void addListener(BufferListener listener) {
        observer.addListener(listener);
    }

    @Override
    public boolean removeListener(BufferListener listener) {
        return observer.removeListener(listener);
    }

    private BufferStats readStats() {
        for (Qdisc q : host.trafficControl().qdiscs(ifb)) {
            if (q.parent() == TrafficControl.ROOT && q.kind().equals("plug")) {
                return new BufferStats(q.backlogBytes(), q.backlogPackets(), q.drops(), q.sentBytes(),
                        q.sentPackets());
            }
        }
        throw new PlugFailedException("read stats", spec.vif(), ifb,
                OperationFailedException.of("read stats", "the plug qdisc is gone from " + ifb, spec.vif(), ifb, null));
    }

    @Override
    public boolean isClosed() {
        return epoch == EpochState.CLOSED;
    }

    @Override
    public EpochState epochState() {
        return epoch;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Every teardown step is tried even when one fails; the first failure is then thrown and a
     * later {@code close()} retries what is left.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (tornDown) {
                return;
            }
            BufferStats held = epoch == EpochState.CLOSED ? null : observer.beforeTeardown();
            epoch = EpochState.CLOSED;
            Teardown teardown = new Teardown(host, spec.vif(), spec.xenbusPath());
            teardown.owned(ifb, createdIfb, restoreMode);
            try {
                teardown.throwIfFailed();
            } catch (NetworkBufferException e) {
                observer.failed("close", e);
                throw e;
            }
            tornDown = true;
            observer.closed(held);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "NetworkBuffer[" + spec.vif() + " -> " + ifb + ", " + epoch + "]";
    }

    void requireCheckpointAllowed() {
        requireOpen();
        if (epoch == EpochState.CLOSED_EPOCH) {
            throw new IllegalStateException(spec.vif() + ": checkpoint() called again before commit(); the kernel "
                    + "tracks one closed epoch only, so the earlier epoch's packets would be stranded");
        }
    }

    void requireCommitAllowed() {
        requireOpen();
        if (epoch != EpochState.CLOSED_EPOCH) {
            throw new IllegalStateException(spec.vif() + ": commit() without a preceding checkpoint() (state "
                    + epoch + ")");
        }
    }

    void requireOpen() {
        if (epoch == EpochState.CLOSED) {
            throw new IllegalStateException(spec.vif() + ": the buffer is closed");
        }
    }

    /**
     * Records that the kernel accepted {@code action} for this buffer (sent by the handle or by a
     * group, after {@link #begin(PlugAction, long)}).
     *
     * @param now {@link System#nanoTime()} after the call
     */
    void applied(PlugAction action, long now) {
        EpochState before = epochState();
        long previousLimit = limit;
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                epoch = EpochState.CLOSED_EPOCH;
                break;
            case PlugAction.RELEASE_ONE_CODE:
                epoch = EpochState.OPEN;
                break;
            case PlugAction.RELEASE_INDEFINITE_CODE:
                epoch = EpochState.RELEASED_INDEFINITELY;
                break;
            default:
                limit = action.limit();
        }
        observer.applied(action, before, previousLimit, now);
    }

    /**
     * A plug call for this buffer (by the handle or a group) is about to be made.
     *
     * @param now {@link System#nanoTime()} before the call
     */
    void begin(PlugAction action, long now) {
        observer.begin(action, now);
    }

    /** The kernel refused {@code action} for this buffer; {@code failure} is thrown next. */
    void refused(PlugAction action, PlugFailedException failure) {
        observer.failed(action, failure);
    }

    private void apply(PlugAction action) {
        begin(action, System.nanoTime());
        try {
            host.trafficControl().plug(ifbAsList, action);
        } catch (NetworkBufferException e) {
            if (LOG.isWarnEnabled()) {
                LOG.warn("vif={} ifb={}: plug {} failed: {}", spec.vif(), ifb, action.label(), e.getMessage());
            }
            PlugFailedException failure = new PlugFailedException(action.label(), spec.vif(), ifb, e);
            refused(action, failure);
            throw failure;
        }
        applied(action, System.nanoTime());
    }
}
