package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreWire.Header;
import io.netbuf.impl.xenstore.XenstoreWire.Message;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open connection to xenstored and its framing: writes request frames, and a reader thread
 * reads frames and hands each reply to the request waiting for its id and each watch event to the
 * event sink, in the order they arrived. Once broken (read or write error, malformed frame, closed
 * by either side) it stays broken: the requests in flight fail and a new connection must be opened.
 * A write is bounded by its request's deadline: waiting for another writer gives up with ETIMEDOUT, and a
 * write the daemon does not take in time breaks the connection (a frame cut short cannot be resumed).
 * Thread-safe.
 */
final class XenstoreConnection {
    private static final Logger LOG = LoggerFactory.getLogger(XenstoreConnection.class);

    private final XenstoreTransport transport;
    private final Consumer<Message> watchEvents;
    private final Runnable lost;
    private final Map<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    /** Breaks connections whose write outlived its deadline; one daemon thread for all clients. */
    private static final ScheduledThreadPoolExecutor WRITE_WATCHDOG = watchdog();
    private final ReentrantLock writeLock = new ReentrantLock();
    /** The one request in flight on a transport that takes one at a time, else null. */
    private final Semaphore oneInFlight;
    private final Thread reader;
    private volatile XenstoreException failure;
    /** When the frame being read began to arrive, or 0 between frames. */
    private volatile long partialSince;

    /**
     * @param transport the open byte stream
     * @param watchEvents receives each WATCH_EVENT on the reader thread, before any later reply is delivered
     * @param lost told once when the connection breaks, before the requests in flight fail
     */
    XenstoreConnection(XenstoreTransport transport, Consumer<Message> watchEvents, Runnable lost) {
        this.transport = transport;
        this.watchEvents = watchEvents;
        this.lost = lost;
        this.oneInFlight = transport.oneRequestAtATime() ? new Semaphore(1) : null;
        this.reader = new Thread(this::readLoop, "xenstore-reader " + transport.path());
        this.reader.setDaemon(true);
    }

    /** Starts the reader thread. */
    void start() {
        reader.start();
    }

    /** @return what this connection is connected to */
    Path path() {
        return transport.path();
    }

    /** @return whether requests must not overlap here, and events may come after later replies (the xenbus device) */
    boolean isDevice() {
        return oneInFlight != null;
    }

    /** @return whether the connection broke (or was closed) */
    boolean isBroken() {
        return failure != null;
    }

    /** @return whether a frame began to arrive and is still incomplete (the daemon stalled mid-frame) */
    boolean isMidFrame() {
        return partialSince != 0;
    }

    /**
     * Writes a request, by a deadline.
     *
     * @param request the request; its id must not be in flight on this connection
     * @param deadline {@link System#nanoTime()} by which the request must be written
     * @return completed with the reply, or exceptionally with the reason the connection broke
     * @throws IOException when the request could not be written (nothing reached the daemon, or the
     *     connection was already broken)
     * @throws XenstoreException ETIMEDOUT when another writer held the connection past the deadline (nothing
     *     was sent), or the daemon did not take the whole request by then (the connection is broken); EINTR
     */
    CompletableFuture<Message> send(Message request, long deadline) throws IOException {
        CompletableFuture<Message> future = new CompletableFuture<>();
        pending.put(request.reqId(), future);
        XenstoreException failed = failure;
        if (failed != null) {
            pending.remove(request.reqId());
            throw new IOException("connection already broken: " + failed.getMessage(), failed);
        }
        ByteBuffer frame = XenstoreWire.encode(request);
        String operation = XenstoreWire.typeName(request.type());
        try {
            if (oneInFlight != null) {
                if (!oneInFlight.tryAcquire(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    pending.remove(request.reqId());
                    throw new XenstoreException(operation, null, "ETIMEDOUT", "the request before this one on "
                            + transport.path() + " was not answered within this one's timeout", null);
                }
                // released once the reply came, the caller gave up, or the connection broke
                future.whenComplete((reply, error) -> oneInFlight.release());
            }
            if (!writeLock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                abandon(request.reqId());
                throw new XenstoreException(operation, null, "ETIMEDOUT",
                        "another request's write to " + transport.path() + " has blocked past this one's timeout", null);
            }
        } catch (InterruptedException e) {
            abandon(request.reqId());
            Thread.currentThread().interrupt();
            throw new XenstoreException(operation, null, "EINTR", "interrupted while waiting to write to xenstored", e);
        }
        XenstoreException stuck = new XenstoreException(operation, null, "ETIMEDOUT",
                "xenstored at " + transport.path() + " did not take a request within its timeout (not reading?)", null);
        ScheduledFuture<?> watchdog = WRITE_WATCHDOG.schedule(() -> fail(stuck),
                Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        try {
            transport.writeFully(frame);
        } catch (IOException e) {
            abandon(request.reqId());
            if (failure == stuck) {
                throw stuck;
            }
            throw e;
        } finally {
            watchdog.cancel(false);
            writeLock.unlock();
        }
        return future;
    }

    private static ScheduledThreadPoolExecutor watchdog() {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "xenstore-write-watchdog");
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        return executor;
    }

    /**
     * Stops waiting for a reply (its caller gave up); the reply, if it comes, is dropped.
     *
     * @param reqId the request id
     */
    void forget(int reqId) {
        abandon(reqId);
    }

    /** Stops waiting for a request's reply and ends its future (so the next request may go out). */
    private void abandon(int reqId) {
        CompletableFuture<Message> future = pending.remove(reqId);
        if (future != null) {
            future.cancel(false);
        }
    }

    /**
     * Breaks the connection: closes the transport, tells the loss, and fails the requests in
     * flight with {@code e}. Idempotent.
     *
     * @param e the reason
     */
    void fail(XenstoreException e) {
        synchronized (this) {
            if (failure != null) {
                return;
            }
            failure = e;
        }
        transport.close();
        lost.run();
        for (Integer id : pending.keySet()) {
            CompletableFuture<Message> f = pending.remove(id);
            if (f != null) {
                f.completeExceptionally(e);
            }
        }
    }

    private void readLoop() {
        ByteBuffer header = ByteBuffer.allocate(XenstoreWire.HEADER_SIZE);
        try {
            while (failure == null) {
                Message message = readMessage(header);
                if (message.type() == XenstoreWire.WATCH_EVENT) {
                    watchEvents.accept(message);
                    continue;
                }
                CompletableFuture<Message> waiter = pending.remove(message.reqId());
                if (waiter == null) {
                    LOG.debug("dropping reply to request {} nobody waits for (timed out?)", message.reqId());
                } else {
                    waiter.complete(message);
                }
            }
        } catch (XenstoreException e) {
            if (failure == null) {
                LOG.warn("xenstore connection to {} dropped: {}", transport.path(), e.getMessage());
            }
            fail(e);
        } catch (IOException e) {
            fail(new XenstoreException("read", null, "EIO", e.toString(), e));
        }
    }

    /**
     * Reads one whole frame; {@code header} is reused between calls. While a frame is incomplete
     * {@link #isMidFrame()} is true.
     */
    private Message readMessage(ByteBuffer header) throws IOException {
        header.clear();
        partialSince = 0;
        while (header.hasRemaining()) {
            if (transport.read(header) < 0) {
                throw header.position() == 0
                        ? new XenstoreException("read", null, "EIO", "connection closed by xenstored", null)
                        : XenstoreWire.protocolError("truncated frame: header cut after " + header.position() + " bytes");
            }
            if (partialSince == 0 && header.hasRemaining()) {
                partialSince = System.nanoTime() | 1;
            }
        }
        Header h = XenstoreWire.decodeHeader(header);
        ByteBuffer body = ByteBuffer.allocate(h.length());
        if (body.hasRemaining() && partialSince == 0) {
            partialSince = System.nanoTime() | 1;
        }
        if (!transport.readFully(body)) {
            throw XenstoreWire.protocolError("truncated frame: " + body.position() + " of " + h.length()
                    + " payload bytes before the connection closed");
        }
        partialSince = 0;
        return new Message(h.type(), h.reqId(), h.txId(), body.array());
    }
}
