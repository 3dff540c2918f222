package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreWire.Message;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Requests to xenstored over one {@link XenstoreConnection} at a time, opened again by the next
 * request after it broke. Requests from many threads are pipelined on the connection and matched to
 * their replies by request id; every wait for a reply is bounded by the timeout. A broken connection
 * fails the requests in flight with {@code EIO}; a reply of the wrong type fails with {@code EPROTO}
 * and drops the connection. Every call, its write included, ends by the timeout; a connection on which a
 * frame began to arrive and then stalled past a timeout is dropped, so that the next call reconnects.
 *
 * <p>A transaction belongs to the connection that started it (xenstored's ids are per connection, and a
 * new connection reuses them): the ids handed out here are this object's own, and once that connection
 * broke every request in the transaction fails with EAGAIN ("transaction lost, start again") without
 * reaching the daemon; aborting it is a no-op. Thread-safe.
 */
final class ReconnectingConnection {
    private static final Logger LOG = LoggerFactory.getLogger(ReconnectingConnection.class);
    /**
     * Most requests of one {@link #pipeline} in flight at once: enough to hide the round trip, few
     * enough to stay far below any daemon's per-connection queue.
     */
    private static final int PIPELINE_WINDOW = 64;

    /** What the owner of the connection is told besides replies. */
    interface Events {
        /**
         * A WATCH_EVENT arrived; runs on the reader thread, before any later reply is delivered.
         *
         * @param event the event frame
         */
        void watchEvent(Message event);

        /** The connection broke: events may have been lost. */
        void connectionLost();

        /** @return whether a listener relies on the events before a reply reaching it before that reply */
        boolean ordersEvents();

        /**
         * @param token the token of a watch about to be registered
         * @return completed by the reader thread when an event with that token arrives (and is not passed on)
         */
        CompletableFuture<Void> expectEvent(String token);

        /** @param token a token given to {@link #expectEvent}, no longer expected */
        void forgetEvent(String token);

        /** A new connection replaced a broken one; runs on the requesting thread, outside any lock. */
        void reconnected();
    }

    /** What to do with one reply of a pipeline, in request order: the reply, or the daemon's error. */
    interface ReplyHandler {
        /**
         * @param path the request's path
         * @param reply the reply, or null when the daemon answered with an error
         * @param failure the daemon's error, or null
         */
        void accept(String path, Message reply, XenstoreException failure);
    }

    /** A request sent and not yet answered, and when its caller stops waiting. */
    private record Pending(XenstoreConnection connection, int reqId, CompletableFuture<Message> reply,
            long deadline) {
    }

    /** A transaction: the connection that started it and the daemon's id for it there. */
    private record Transaction(XenstoreConnection connection, int wireId) {
    }

    private final List<Path> endpoints;
    private final Duration timeout;
    private final Events events;
    private final AtomicInteger nextReqId = new AtomicInteger();
    private final AtomicInteger nextTransaction = new AtomicInteger();
    private final AtomicLong nextCatchUp = new AtomicLong();
    private final boolean deviceRules;
    private final Map<Integer, Transaction> transactions = new ConcurrentHashMap<>();
    private final ReentrantLock connectLock = new ReentrantLock();
    /** The last failed connect and when it failed ({@link System#nanoTime()}). */
    private volatile XenstoreException lastConnectFailure;
    private volatile long lastConnectFailureAt;
    private volatile XenstoreConnection connection;
    private volatile boolean closed;

    /**
     * Does not connect yet: the first request (or {@link #open()}) does.
     *
     * @param endpoints where to connect, tried in order
     * @param timeout the longest wait for one reply
     * @param events told about watch events and connection changes
     */
    ReconnectingConnection(List<Path> endpoints, Duration timeout, Events events) {
        this(endpoints, timeout, events, false);
    }

    /**
     * @param deviceRules every transport under the xenbus device's rules (tests stand a socket in for it)
     */
    ReconnectingConnection(List<Path> endpoints, Duration timeout, Events events, boolean deviceRules) {
        this.deviceRules = deviceRules;
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.events = events;
    }

    /**
     * Connects now unless connected.
     *
     * @throws XenstoreException EIO when no endpoint can be opened, or after {@link #close()}
     */
    void open() {
        live(deadline());
    }

    /** @return the endpoint of the current connection, or empty when disconnected */
    Optional<Path> endpoint() {
        XenstoreConnection c = connection;
        return c == null || c.isBroken() ? Optional.empty() : Optional.of(c.path());
    }

    /** @return the endpoints tried, in order */
    List<Path> endpoints() {
        return endpoints;
    }

    /** @return whether {@link #close()} was called */
    boolean isClosed() {
        return closed;
    }

    /** Closes the connection; requests from now on fail with EIO. Idempotent. */
    void close() {
        closed = true;
        XenstoreConnection c;
        connectLock.lock(); // waits at most for a connect in progress, itself bounded by a timeout
        try {
            c = connection;
            connection = null;
        } finally {
            connectLock.unlock();
        }
        if (c != null) {
            c.fail(new XenstoreException("close", null, "EIO", "client closed", null));
        }
    }

    /**
     * Sends a request and waits for its reply.
     *
     * @param type the message type
     * @param tx the transaction id, 0 for none
     * @param payload the payload
     * @param operation the operation, for errors
     * @param path the path, for errors (may be null)
     * @return the reply, of the request's type
     * @throws XenstoreException with the daemon's errno, or EIO/ETIMEDOUT/EPROTO/EINTR/E2BIG
     */
    Message request(int type, int tx, byte[] payload, String operation, String path) {
        return request(type, tx, payload, operation, path, deadline());
    }

    /**
     * As {@link #request(int, int, byte[], String, String)}, ending by a deadline of the caller's (for calls
     * made of many requests).
     *
     * @param deadline {@link System#nanoTime()} by which the reply must have come
     * @return the reply
     */
    Message request(int type, int tx, byte[] payload, String operation, String path, long deadline) {
        Pending p = send(type, tx, payload, operation, path, deadline);
        Message answer = receive(p, type, operation, path);
        catchUp(p.connection(), deadline);
        if (answer.type() == XenstoreWire.ERROR) {
            throw XenstoreWire.daemonError(operation, path, answer);
        }
        return answer;
    }

    /** Sends a request and waits for its reply, without {@link #catchUp}; an ERROR reply throws. */
    private Message exchange(int type, byte[] payload, String operation, String path, long deadline) {
        Message answer = receive(send(type, 0, payload, operation, path, deadline), type, operation, path);
        if (answer.type() == XenstoreWire.ERROR) {
            throw XenstoreWire.daemonError(operation, path, answer);
        }
        return answer;
    }

    /** The watch whose initial event marks that every earlier event has arrived: it always exists. */
    private static final String CATCH_UP_PATH = "@releaseDomain";

    /**
     * Over the xenbus device, waits until every watch event xenstored sent before its last reply on
     * {@code c} has reached the listeners, when a listener relies on that ({@link Events#ordersEvents()}).
     * Over a socket events and replies come in the daemon's order; the device passes replies to the
     * file at once but events through the kernel's xenwatch thread, so an event can come after the
     * replies that follow it (seen in the Xen lab: a write's event after the write's reply). Registers
     * a watch: xenstored fires its initial event after every event it sent before, and the kernel
     * passes events on in order, so once it arrived the earlier ones have too; then removes it.
     *
     * @throws XenstoreException ETIMEDOUT when the marking event does not come by the deadline; EINTR
     */
    private void catchUp(XenstoreConnection c, long deadline) {
        if (!c.isDevice() || !events.ordersEvents()) {
            return;
        }
        String token = "netbuf-catch-up-" + nextCatchUp.incrementAndGet();
        byte[] payload = XenstoreWire.payload(CATCH_UP_PATH, token);
        CompletableFuture<Void> marked = events.expectEvent(token);
        try {
            exchange(XenstoreWire.WATCH, payload, "watch", CATCH_UP_PATH, deadline);
            marked.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new XenstoreException("watch", CATCH_UP_PATH, "ETIMEDOUT", "the watch events before a reply from "
                    + c.path() + " did not arrive within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenstoreException("watch", CATCH_UP_PATH, "EINTR", "interrupted while waiting for watch events", e);
        } catch (ExecutionException e) {
            throw new XenstoreException("watch", CATCH_UP_PATH, "EIO", String.valueOf(e.getCause()), e.getCause());
        } finally {
            events.forgetEvent(token);
            try {
                exchange(XenstoreWire.UNWATCH, payload, "unwatch", CATCH_UP_PATH, deadline());
            } catch (XenstoreException e) {
                LOG.debug("could not remove the catch-up watch {}: {}", token, e.getMessage());
            }
        }
    }

    /** @return {@link System#nanoTime()} one timeout from now */
    long deadline() {
        return System.nanoTime() + timeout.toNanos();
    }

    /**
     * Starts a transaction on the current connection.
     *
     * @return this object's id for it (never 0), valid only while that connection lives
     */
    int transactionStart() {
        Pending p = send(XenstoreWire.TRANSACTION_START, 0, XenstoreWire.payload(""), "transaction start", null,
                deadline());
        Message reply = receive(p, XenstoreWire.TRANSACTION_START, "transaction start", null);
        catchUp(p.connection(), p.deadline());
        if (reply.type() == XenstoreWire.ERROR) {
            throw XenstoreWire.daemonError("transaction start", null, reply);
        }
        int wireId;
        try {
            wireId = Integer.parseUnsignedInt(reply.text());
        } catch (NumberFormatException e) {
            throw XenstoreWire.protocolError("transaction id '" + reply.text() + "' is not a number");
        }
        int id;
        do {
            id = nextTransaction.incrementAndGet();
        } while (id == 0 || transactions.putIfAbsent(id, new Transaction(p.connection(), wireId)) != null);
        return id;
    }

    /**
     * Ends a transaction on the connection that started it.
     *
     * @param tx the id from {@link #transactionStart()}
     * @param commit true to commit, false to abort
     * @throws XenstoreException EAGAIN when the commit conflicted or the transaction was lost with its
     *     connection (an abort of a lost transaction succeeds: the daemon dropped it); ENOENT for an unknown id
     */
    void transactionEnd(int tx, boolean commit) {
        Transaction t = transactions.get(tx);
        if (t != null && !commit && t.connection().isBroken()) {
            transactions.remove(tx);
            return;
        }
        try {
            request(XenstoreWire.TRANSACTION_END, tx, XenstoreWire.payload(commit ? "T" : "F"), "transaction end", null);
        } finally {
            transactions.remove(tx);
        }
    }

    /**
     * Sends one request per path (its payload the path), keeping up to {@link #PIPELINE_WINDOW} in
     * flight, and hands the replies to {@code handler} in request order. The paths must have been
     * checked by the caller.
     *
     * @param type the message type
     * @param tx the transaction id, 0 for none
     * @param paths the paths
     * @param operation the operation, for errors
     * @param handler receives each reply or daemon error
     */
    void pipeline(int type, int tx, List<String> paths, String operation, ReplyHandler handler) {
        int n = paths.size();
        Pending[] window = new Pending[Math.min(n, PIPELINE_WINDOW)];
        int sent = 0;
        for (int done = 0; done < n; done++) {
            while (sent < n && sent - done < window.length) {
                String path = paths.get(sent);
                window[sent % window.length] = send(type, tx, XenstoreWire.payload(path), operation, path,
                        deadline());
                sent++;
            }
            String path = paths.get(done);
            Pending pending = window[done % window.length];
            Message reply = receive(pending, type, operation, path);
            if (done == n - 1) {
                catchUp(pending.connection(), pending.deadline());
            }
            if (reply.type() == XenstoreWire.ERROR) {
                handler.accept(path, null, XenstoreWire.daemonError(operation, path, reply));
            } else {
                handler.accept(path, reply, null);
            }
        }
    }

    private Pending send(int type, int tx, byte[] payload, String operation, String path, long deadline) {
        if (payload.length > XenstoreWire.MAX_PAYLOAD) {
            throw new XenstoreException(operation, path, "E2BIG",
                    "request of " + payload.length + " bytes exceeds " + XenstoreWire.MAX_PAYLOAD, null);
        }
        int reqId = nextReqId.incrementAndGet();
        if (tx != 0) {
            return sendInTransaction(type, tx, payload, operation, path, deadline, reqId);
        }
        Message request = new Message(type, reqId, 0, payload);
        XenstoreConnection c = live(deadline);
        CompletableFuture<Message> reply;
        try {
            reply = sendOn(c, request, deadline, operation, path);
        } catch (IOException notSent) {
            // nothing reached the daemon: safe to try once more on a fresh connection
            c.fail(new XenstoreException(operation, path, "EIO", notSent.toString(), notSent));
            c = live(deadline);
            try {
                reply = sendOn(c, request, deadline, operation, path);
            } catch (IOException e) {
                c.fail(new XenstoreException(operation, path, "EIO", e.toString(), e));
                throw new XenstoreException(operation, path, "EIO", "cannot send to xenstored: " + e, e);
            }
        }
        return new Pending(c, reqId, reply, deadline);
    }

    /** A request in a transaction goes to the transaction's own connection, never to a new one. */
    private Pending sendInTransaction(int type, int tx, byte[] payload, String operation, String path,
            long deadline, int reqId) {
        Transaction t = transactions.get(tx);
        if (t == null) {
            throw new XenstoreException(operation, path, "ENOENT", "no transaction " + tx + " on this client", null);
        }
        XenstoreConnection c = t.connection();
        try {
            if (!c.isBroken()) {
                return new Pending(c, reqId, sendOn(c, new Message(type, reqId, t.wireId(), payload), deadline,
                        operation, path), deadline);
            }
        } catch (IOException e) {
            c.fail(new XenstoreException(operation, path, "EIO", e.toString(), e));
        }
        throw lost(operation, path, tx);
    }

    private static XenstoreException lost(String operation, String path, int tx) {
        return new XenstoreException(operation, path, "EAGAIN", "transaction " + tx
                + " was lost with its connection to xenstored (the daemon restarted or the connection broke):"
                + " start the transaction again", null);
    }

    private static CompletableFuture<Message> sendOn(XenstoreConnection c, Message request, long deadline,
            String operation, String path) throws IOException {
        try {
            return c.send(request, deadline);
        } catch (XenstoreException e) {
            throw new XenstoreException(operation, path, e.errno(), e.getMessage(), e);
        }
    }

    /**
     * Waits for the reply to a sent request.
     *
     * @return the reply: of the request's type, or an ERROR carrying the daemon's errno name
     * @throws XenstoreException EIO/ETIMEDOUT/EPROTO/EINTR when the exchange itself failed
     */
    private Message receive(Pending pending, int type, String operation, String path) {
        XenstoreConnection c = pending.connection();
        Message answer = await(pending, operation, path);
        if (answer.type() != type && answer.type() != XenstoreWire.ERROR) {
            XenstoreException e = XenstoreWire.protocolError("reply of type " + XenstoreWire.typeName(answer.type())
                    + " to a " + XenstoreWire.typeName(type) + " request");
            c.fail(e);
            throw new XenstoreException(operation, path, "EPROTO", e.getMessage(), e);
        }
        return answer;
    }

    private Message await(Pending pending, String operation, String path) {
        XenstoreConnection c = pending.connection();
        try {
            return pending.reply().get(Math.max(0, pending.deadline() - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            c.forget(pending.reqId());
            if (c.isMidFrame()) {
                // a frame began and stalled: the stream cannot be resynchronised, so start afresh
                c.fail(new XenstoreException(operation, path, "ETIMEDOUT",
                        "xenstored stalled in the middle of a frame for " + timeout.toMillis() + " ms", e));
            }
            throw new XenstoreException(operation, path, "ETIMEDOUT",
                    "no reply from " + c.path() + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            c.forget(pending.reqId());
            Thread.currentThread().interrupt();
            throw new XenstoreException(operation, path, "EINTR", "interrupted while waiting for xenstored", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof XenstoreException x) {
                throw new XenstoreException(operation, path, x.errno(), x.getMessage(), x);
            }
            throw new XenstoreException(operation, path, "EIO", String.valueOf(cause), cause);
        }
    }

    /**
     * @param deadline {@link System#nanoTime()} by which the caller must be done: waiting for another
     *     thread's connect and connecting both end by then
     * @return the current connection, opened anew when there is none or it broke
     * @throws XenstoreException EIO when it cannot be opened (or another thread failed to open it while this
     *     one waited), ETIMEDOUT when the deadline passed first, EINTR
     */
    private XenstoreConnection live(long deadline) {
        XenstoreConnection c = connection;
        if (c != null && !c.isBroken()) {
            return c;
        }
        long waitStart = System.nanoTime();
        try {
            if (!connectLock.tryLock(Math.max(0, deadline - waitStart), TimeUnit.NANOSECONDS)) {
                throw new XenstoreException("connect", null, "ETIMEDOUT",
                        "another thread's connect to xenstored lasted past this call's timeout", null);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new XenstoreException("connect", null, "EINTR", "interrupted while waiting to connect", e);
        }
        boolean reconnected;
        try {
            if (closed) {
                throw new XenstoreException("connect", null, "EIO", "client closed", null);
            }
            c = connection;
            if (c != null && !c.isBroken()) {
                return c;
            }
            XenstoreException recent = lastConnectFailure;
            if (recent != null && lastConnectFailureAt - waitStart > 0) {
                // it failed while this thread waited: no second attempt in the same breath
                throw new XenstoreException("connect", null, recent.errno(), recent.getMessage(), recent);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new XenstoreException("connect", null, "ETIMEDOUT", "no time left to connect to xenstored", null);
            }
            reconnected = c != null;
            try {
                XenstoreTransport transport = XenstoreTransport.open(endpoints, Duration.ofNanos(remaining));
                c = new XenstoreConnection(deviceRules ? transport.asDevice() : transport,
                        events::watchEvent, events::connectionLost);
            } catch (IOException e) {
                XenstoreException failed = new XenstoreException("connect", null, "EIO",
                        "cannot open " + endpoints + ": " + e.getMessage(), e);
                lastConnectFailure = failed;
                lastConnectFailureAt = System.nanoTime();
                throw failed;
            }
            connection = c;
            c.start();
        } finally {
            connectLock.unlock();
        }
        if (reconnected) {
            LOG.info("reconnected to xenstore at {}", c.path());
            events.reconnected();
        }
        return c;
    }
}
