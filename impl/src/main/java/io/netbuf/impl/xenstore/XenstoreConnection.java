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
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open connection to xenstored and its framing: writes request frames, and a reader thread
 * reads frames and hands each reply to the request waiting for its id and each watch event to the
 * event sink, in the order they arrived. Once broken (read or write error, malformed frame, closed
 * by either side) it stays broken: the requests in flight fail and a new connection must be opened.
 * Thread-safe.
 */
final class XenstoreConnection {
    private static final Logger LOG = LoggerFactory.getLogger(XenstoreConnection.class);

    private final XenstoreTransport transport;
    private final Consumer<Message> watchEvents;
    private final Runnable lost;
    private final Map<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
    private final Object writeLock = new Object();
    private final Thread reader;
    private volatile XenstoreException failure;

    /**
     * @param transport the open byte stream
     * @param watchEvents receives each WATCH_EVENT on the reader thread, before any later reply is delivered
     * @param lost told once when the connection breaks, before the requests in flight fail
     */
    XenstoreConnection(XenstoreTransport transport, Consumer<Message> watchEvents, Runnable lost) {
        this.transport = transport;
        this.watchEvents = watchEvents;
        this.lost = lost;
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

    /** @return whether the connection broke (or was closed) */
    boolean isBroken() {
        return failure != null;
    }

    /**
     * Writes a request.
     *
     * @param request the request; its id must not be in flight on this connection
     * @return completed with the reply, or exceptionally with the reason the connection broke
     * @throws IOException when the request could not be written (nothing reached the daemon, or the
     *     connection was already broken)
     */
    CompletableFuture<Message> send(Message request) throws IOException {
        CompletableFuture<Message> future = new CompletableFuture<>();
        pending.put(request.reqId(), future);
        XenstoreException failed = failure;
        if (failed != null) {
            pending.remove(request.reqId());
            throw new IOException("connection already broken: " + failed.getMessage(), failed);
        }
        ByteBuffer frame = XenstoreWire.encode(request);
        try {
            synchronized (writeLock) {
                transport.writeFully(frame);
            }
        } catch (IOException e) {
            pending.remove(request.reqId());
            throw e;
        }
        return future;
    }

    /**
     * Stops waiting for a reply (its caller gave up); the reply, if it comes, is dropped.
     *
     * @param reqId the request id
     */
    void forget(int reqId) {
        pending.remove(reqId);
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

    /** Reads one whole frame; {@code header} is reused between calls. */
    private Message readMessage(ByteBuffer header) throws IOException {
        header.clear();
        if (!transport.readFully(header)) {
            throw header.position() == 0
                    ? new XenstoreException("read", null, "EIO", "connection closed by xenstored", null)
                    : XenstoreWire.protocolError("truncated frame: header cut after " + header.position() + " bytes");
        }
        Header h = XenstoreWire.decodeHeader(header);
        ByteBuffer body = ByteBuffer.allocate(h.length());
        if (!transport.readFully(body)) {
            throw XenstoreWire.protocolError("truncated frame: " + body.position() + " of " + h.length()
                    + " payload bytes before the connection closed");
        }
        return new Message(h.type(), h.reqId(), h.txId(), body.array());
    }
}
