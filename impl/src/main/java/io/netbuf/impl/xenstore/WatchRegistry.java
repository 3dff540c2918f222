package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreWire.Message;
import io.netbuf.spi.ChangeFeed.ChangeListener;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client's watches by token: registers and removes them with xenstored, routes each WATCH_EVENT
 * to its watch, tells the change listeners when events may have been lost, and registers every watch
 * again on a new connection. Callbacks of {@link XenstoreClient#watch} run on one callback thread in
 * the order the events arrived; listeners of {@link XenstoreClient#track} run on the reader thread.
 *
 * <p>Events wait for a slow callback in a bounded queue per watch: a path already waiting is not
 * queued again (events coalesce), and when {@link #MAX_PENDING_PER_WATCH} distinct paths wait, the
 * queue is replaced by the watched path itself, which tells the callback "something at or below here
 * changed: read it again" (the same signal as the event xenstored sends when a watch is registered).
 * Memory stays bounded however fast a daemon sends events. Thread-safe.
 */
final class WatchRegistry implements ReconnectingConnection.Events {
    private static final Logger LOG = LoggerFactory.getLogger(WatchRegistry.class);

    /** Sends one request outside any transaction and waits for its reply. */
    @FunctionalInterface
    interface Requester {
        /**
         * @param type WATCH or UNWATCH
         * @param payload the path and the token
         * @param operation the operation, for errors
         * @param path the watched path, for errors
         * @throws XenstoreException as the request failed
         */
        void request(int type, byte[] payload, String operation, String path);
    }

    /** Most distinct event paths waiting for one watch's callback before they collapse to the watched path. */
    static final int MAX_PENDING_PER_WATCH = 1024;

    private final Requester requester;
    private final AtomicLong nextToken = new AtomicLong();
    private final Map<String, Registration> watches = new ConcurrentHashMap<>();
    /** Tokens of catch-up watches whose event is awaited ({@link #expectEvent}). */
    private final Map<String, CompletableFuture<Void>> expected = new ConcurrentHashMap<>();
    private final ExecutorService callbacks;
    private volatile boolean closed;

    /** @param requester sends WATCH and UNWATCH on the client's connection */
    WatchRegistry(Requester requester) {
        this.requester = requester;
        this.callbacks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xenstore-watch-callbacks");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Registers a watch whose events run {@code callback} on the callback thread.
     *
     * @param path an absolute path, or a special path like {@code @releaseDomain}
     * @param callback receives the path of each event
     * @return the watch
     */
    XenstoreClient.Watch watch(String path, Consumer<String> callback) {
        return register(new Registration(path, "netbuf-" + nextToken.incrementAndGet(), callback, null));
    }

    /**
     * Registers a watch whose events run {@code listener} on the reader thread.
     *
     * @param path an absolute path
     * @param listener receives the changes, and {@link ChangeListener#missed()} when the connection drops
     * @return the watch
     */
    XenstoreClient.Watch track(String path, ChangeListener listener) {
        return register(new Registration(path, "netbuf-" + nextToken.incrementAndGet(), null, listener));
    }

    /** Stops the callback thread; watches are not removed from xenstored (the connection closes). */
    void close() {
        closed = true;
        callbacks.shutdown();
    }

    private XenstoreClient.Watch register(Registration reg) {
        if (!reg.path.startsWith("@")) {
            XenstorePaths.check("watch", reg.path);
        }
        watches.put(reg.token, reg);
        try {
            sendWatch(reg);
        } catch (RuntimeException e) {
            watches.remove(reg.token);
            throw e;
        }
        return reg;
    }

    private void sendWatch(Registration reg) {
        requester.request(XenstoreWire.WATCH, XenstoreWire.payload(reg.path, reg.token), "watch", reg.path);
    }

    @Override
    public void watchEvent(Message event) {
        List<String> parts = event.strings();
        if (parts.size() < 2) {
            LOG.warn("ignoring malformed watch event {}", parts);
            return;
        }
        CompletableFuture<Void> awaited = expected.get(parts.get(1));
        if (awaited != null) {
            awaited.complete(null);
            return;
        }
        Registration reg = watches.get(parts.get(1));
        if (reg == null) {
            LOG.debug("event for unknown watch token {} (already removed)", parts.get(1));
            return;
        }
        String eventPath = parts.get(0);
        if (reg.listener != null) {
            try {
                reg.listener.changed(eventPath);
            } catch (RuntimeException e) {
                LOG.warn("change listener for {} failed", reg.path, e);
            }
            return;
        }
        if (!reg.enqueue(eventPath)) {
            return;
        }
        try {
            callbacks.execute(reg::drain);
        } catch (RejectedExecutionException e) {
            LOG.debug("client closed: dropping watch event for {}", eventPath);
        }
    }

    /** @return how many event paths wait for callbacks, over all watches (for tests) */
    int pendingEvents() {
        int n = 0;
        for (Registration reg : watches.values()) {
            n += reg.pendingCount();
        }
        return n;
    }

    @Override
    public boolean ordersEvents() {
        for (Registration reg : watches.values()) {
            if (reg.listener != null) {
                return true;
            }
        }
        return false;
    }

    @Override
    public CompletableFuture<Void> expectEvent(String token) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        expected.put(token, future);
        return future;
    }

    @Override
    public void forgetEvent(String token) {
        expected.remove(token);
    }

    @Override
    public void connectionLost() {
        for (Registration reg : watches.values()) {
            if (reg.listener != null) {
                reg.listener.missed();
            }
        }
    }

    @Override
    public void reconnected() {
        for (Registration reg : watches.values()) {
            try {
                sendWatch(reg);
            } catch (XenstoreException e) {
                LOG.warn("could not re-register watch on {} after reconnect: {}", reg.path, e.getMessage());
            }
        }
    }

    private final class Registration implements XenstoreClient.Watch {
        final String path;
        final String token;
        /** Run on the callback thread; null for a {@link #track} registration. */
        final Consumer<String> callback;
        /** Run on the reader thread; null for a {@link #watch} registration. */
        final ChangeListener listener;
        /** Event paths waiting for {@link #callback}, coalesced; guarded by itself. */
        private final java.util.LinkedHashSet<String> pending = new java.util.LinkedHashSet<>();
        /** Whether a {@link #drain} task is queued or running; guarded by {@link #pending}. */
        private boolean draining;

        /** @return true when a drain task must be queued for this event */
        boolean enqueue(String eventPath) {
            synchronized (pending) {
                if (pending.size() >= MAX_PENDING_PER_WATCH && !pending.contains(eventPath)) {
                    LOG.warn("watch on {}: {} events wait for a slow callback; collapsing them into one for {}",
                            path, pending.size(), path);
                    pending.clear();
                    pending.add(path);
                } else {
                    pending.add(eventPath);
                }
                if (draining) {
                    return false;
                }
                draining = true;
                return true;
            }
        }

        int pendingCount() {
            synchronized (pending) {
                return pending.size();
            }
        }

        /** Runs the callback for every waiting path, oldest first, on the callback thread. */
        void drain() {
            while (true) {
                String next;
                synchronized (pending) {
                    java.util.Iterator<String> it = pending.iterator();
                    if (!it.hasNext() || closed) {
                        draining = false;
                        return;
                    }
                    next = it.next();
                    it.remove();
                }
                try {
                    callback.accept(next);
                } catch (RuntimeException e) {
                    LOG.warn("watch callback for {} failed", path, e);
                }
            }
        }

        Registration(String path, String token, Consumer<String> callback, ChangeListener listener) {
            this.path = path;
            this.token = token;
            this.callback = callback;
            this.listener = listener;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public void close() {
            if (watches.remove(token) == null || closed) {
                return;
            }
            try {
                requester.request(XenstoreWire.UNWATCH, XenstoreWire.payload(path, token), "unwatch", path);
            } catch (XenstoreException e) {
                if (!e.isNotFound()) {
                    throw e;
                }
            }
        }
    }
}
