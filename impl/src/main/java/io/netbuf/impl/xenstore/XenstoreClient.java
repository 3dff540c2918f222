package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreWire.Header;
import io.netbuf.impl.xenstore.XenstoreWire.Message;
import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.TransactionalXenstore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A native XenStore client speaking the wire protocol over xenstored's unix socket or the xenbus
 * device, found the way libxenstore finds it ({@code XENSTORED_PATH}, else
 * {@code /var/run/xenstored/socket}, else {@code /dev/xen/xenbus}).
 *
 * <p>Thread-safe. Requests from many threads are pipelined on one connection and matched to their
 * replies by request id by a reader thread; every call waits at most the configured timeout.
 * Watch callbacks run on a separate single thread, in the order the events arrived, so a slow
 * callback never delays a reply; {@link #track} listeners run on the reader thread, so that a
 * change is seen before any reply that follows it. A broken connection fails the calls in flight with {@code EIO};
 * the next call reconnects and re-registers the watches. Malformed frames (unknown type, length
 * over 4096, a frame cut short, a reply of the wrong type) fail with {@code EPROTO} and drop the
 * connection. Paths are checked like xenstored checks them before anything is sent.
 */
public final class XenstoreClient extends TransactionalXenstore implements ChangeFeed, AutoCloseable {
    /** Default longest wait for one reply. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(XenstoreClient.class);
    private static final int MAX_TRANSACTION_ATTEMPTS = 100;
    private static final int MAX_DIRECTORY_PART_RESTARTS = 100;
    /**
     * Most requests of one {@code readAll}/{@code listAll} in flight at once: enough to hide the
     * round trip, few enough to stay far below any daemon's per-connection queue.
     */
    private static final int PIPELINE_WINDOW = 64;

    private final List<Path> endpoints;
    private final Duration timeout;
    private final AtomicInteger nextReqId = new AtomicInteger();
    private final AtomicLong nextToken = new AtomicLong();
    private final Object connectLock = new Object();
    private final Map<String, Registration> watches = new ConcurrentHashMap<>();
    private final ExecutorService callbacks;
    private volatile Connection connection;
    private volatile boolean closed;

    private XenstoreClient(List<Path> endpoints, Duration timeout) {
        super(MAX_TRANSACTION_ATTEMPTS);
        this.endpoints = List.copyOf(endpoints);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        this.callbacks = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xenstore-watch-callbacks");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects where libxenstore would, with {@link #DEFAULT_TIMEOUT}.
     *
     * @return a connected client
     * @throws XenstoreException EIO when no endpoint can be opened
     */
    public static XenstoreClient connect() {
        return connect(XenstoreTransport.candidates(System.getenv()), DEFAULT_TIMEOUT);
    }

    /**
     * Connects to one endpoint.
     *
     * @param endpoint a xenstored unix socket or a xenbus device
     * @param timeout the longest wait for one reply
     * @return a connected client
     * @throws XenstoreException EIO when the endpoint cannot be opened
     */
    public static XenstoreClient connect(Path endpoint, Duration timeout) {
        return connect(List.of(endpoint), timeout);
    }

    /**
     * Connects to the first endpoint that can be opened.
     *
     * @param endpoints the candidates, tried in order
     * @param timeout the longest wait for one reply
     * @return a connected client
     * @throws XenstoreException EIO when none can be opened
     */
    public static XenstoreClient connect(List<Path> endpoints, Duration timeout) {
        XenstoreClient client = new XenstoreClient(endpoints, timeout);
        try {
            client.liveConnection();
        } catch (XenstoreException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** @return the endpoint of the current connection, or empty when disconnected */
    public Optional<Path> endpoint() {
        Connection c = connection;
        return c == null || c.failure != null ? Optional.empty() : Optional.of(c.transport.path());
    }

    // ------------------------------------------------------------------ more of the protocol

    /**
     * @param path an absolute path
     * @return its permissions in xenstored's string form, owner first (e.g. {@code ["n0", "r5"]})
     * @throws XenstoreException ENOENT when the node does not exist
     */
    public List<String> getPerms(String path) {
        XenstorePaths.check("get perms", path);
        return request(XenstoreWire.GET_PERMS, 0, XenstoreWire.payload(path), "get perms", path).strings();
    }

    /**
     * @param path an absolute path
     * @param perms entries of the form {@code [nrwb]<domid>}, owner first
     * @throws XenstoreException EINVAL for malformed permissions, ENOENT when the node does not exist
     */
    public void setPerms(String path, List<String> perms) {
        XenstorePaths.check("set perms", path);
        String[] parts = new String[perms.size() + 1];
        parts[0] = path;
        for (int i = 0; i < perms.size(); i++) {
            parts[i + 1] = perms.get(i);
        }
        request(XenstoreWire.SET_PERMS, 0, XenstoreWire.payload(parts), "set perms", path);
    }

    /**
     * Starts a transaction; pass its id to the {@code int}-taking operations via
     * {@link #transaction(Function)}, or end it with {@link #transactionEnd(int, boolean)}.
     *
     * @return the transaction id
     */
    @Override
    public int transactionStart() {
        Message reply = request(XenstoreWire.TRANSACTION_START, 0, XenstoreWire.payload(""), "transaction start", null);
        try {
            return Integer.parseUnsignedInt(reply.text());
        } catch (NumberFormatException e) {
            throw XenstoreWire.protocolError("transaction id '" + reply.text() + "' is not a number");
        }
    }

    /**
     * Ends a transaction.
     *
     * @param tx the id from {@link #transactionStart()}
     * @param commit true to commit, false to abort
     * @throws XenstoreException EAGAIN when the commit conflicted; ENOENT for an unknown id
     */
    @Override
    public void transactionEnd(int tx, boolean commit) {
        request(XenstoreWire.TRANSACTION_END, tx, XenstoreWire.payload(commit ? "T" : "F"), "transaction end", null);
    }

    /**
     * Watches a path. The callback receives the changed path: once at once, then on every change
     * at or under {@code path} (and {@code path} itself when an ancestor is removed). It runs on
     * the client's callback thread and may call back into the client.
     *
     * @param path an absolute path, or a special path like {@code @releaseDomain}
     * @param callback receives the path of each event
     * @return the watch; closing it removes the watch
     */
    public Watch watch(String path, Consumer<String> callback) {
        return register(path, new Registration(path, "netbuf-" + nextToken.incrementAndGet(), callback, null));
    }

    /**
     * {@inheritDoc} The listener runs on the reader thread, before the reply that follows the event
     * on the connection is handed to its caller; {@link ChangeListener#missed()} runs when the
     * connection drops (the next call reconnects and re-registers the watch).
     */
    @Override
    public Watch track(String path, ChangeListener listener) {
        Objects.requireNonNull(listener, "listener");
        return register(path, new Registration(path, "netbuf-" + nextToken.incrementAndGet(), null, listener));
    }

    private Watch register(String path, Registration reg) {
        if (!path.startsWith("@")) {
            XenstorePaths.check("watch", path);
        }
        String token = reg.token;
        watches.put(token, reg);
        try {
            request(XenstoreWire.WATCH, 0, XenstoreWire.payload(path, token), "watch", path);
        } catch (RuntimeException e) {
            watches.remove(token);
            throw e;
        }
        return reg;
    }

    /** A registered watch; closing it removes the watch from xenstored. */
    public interface Watch extends ChangeFeed.Subscription {
    }

    /** Closes the connection and stops the callback thread. Idempotent. */
    @Override
    public void close() {
        closed = true;
        Connection c;
        synchronized (connectLock) {
            c = connection;
            connection = null;
        }
        if (c != null) {
            c.fail(new XenstoreException("close", null, "EIO", "client closed", null));
        }
        callbacks.shutdown();
    }

    @Override
    public String toString() {
        return "XenstoreClient" + endpoints;
    }

    // ------------------------------------------------------------------ operations with a transaction id

    @Override
    protected Optional<String> read(int tx, String path) {
        XenstorePaths.check("read", path);
        try {
            return Optional.of(new String(request(XenstoreWire.READ, tx, XenstoreWire.payload(path), "read", path).payload(),
                    StandardCharsets.UTF_8));
        } catch (XenstoreException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    protected void write(int tx, String path, String value) {
        XenstorePaths.check("write", path);
        request(XenstoreWire.WRITE, tx, XenstoreWire.pathAndValue(path, value.getBytes(StandardCharsets.UTF_8)), "write", path);
    }

    @Override
    protected void mkdir(int tx, String path) {
        XenstorePaths.check("mkdir", path);
        request(XenstoreWire.MKDIR, tx, XenstoreWire.payload(path), "mkdir", path);
    }

    @Override
    protected boolean exists(int tx, String path) {
        return read(tx, path).isPresent();
    }

    @Override
    protected void rm(int tx, String path) {
        XenstorePaths.check("rm", path);
        request(XenstoreWire.RM, tx, XenstoreWire.payload(path), "rm", path);
    }

    @Override
    protected List<String> list(int tx, String path) {
        XenstorePaths.check("directory", path);
        try {
            return List.copyOf(request(XenstoreWire.DIRECTORY, tx, XenstoreWire.payload(path), "directory", path).strings());
        } catch (XenstoreException e) {
            if (!"E2BIG".equals(e.errno())) {
                throw e;
            }
            return directoryPart(tx, path);
        }
    }

    /** {@inheritDoc} Pipelined: up to 64 requests are in flight at once. */
    @Override
    protected List<Optional<String>> readAll(int tx, List<String> paths) {
        List<Optional<String>> values = new ArrayList<>(paths.size());
        pipeline(XenstoreWire.READ, tx, paths, "read", (path, reply, failure) -> {
            if (failure == null) {
                values.add(Optional.of(new String(reply.payload(), StandardCharsets.UTF_8)));
            } else if (failure.isNotFound()) {
                values.add(Optional.empty());
            } else {
                throw failure;
            }
        });
        return values;
    }

    /** {@inheritDoc} Pipelined: up to 64 requests are in flight at once. */
    @Override
    protected List<Optional<List<String>>> listAll(int tx, List<String> paths) {
        List<Optional<List<String>>> listings = new ArrayList<>(paths.size());
        pipeline(XenstoreWire.DIRECTORY, tx, paths, "directory", (path, reply, failure) -> {
            if (failure == null) {
                listings.add(Optional.of(List.copyOf(reply.strings())));
            } else if (failure.isNotFound()) {
                listings.add(Optional.empty());
            } else if ("E2BIG".equals(failure.errno())) {
                listings.add(Optional.of(directoryPart(tx, path)));
            } else {
                throw failure;
            }
        });
        return listings;
    }

    /** What to do with one reply of a pipeline, in request order: the reply, or the daemon's error. */
    private interface ReplyHandler {
        void accept(String path, Message reply, XenstoreException failure);
    }

    /**
     * Sends one request per path, keeping up to {@link #PIPELINE_WINDOW} in flight, and hands the
     * replies to {@code handler} in request order. Every path is checked before anything is sent.
     */
    private void pipeline(int type, int tx, List<String> paths, String operation, ReplyHandler handler) {
        for (String path : paths) {
            XenstorePaths.check(operation, path);
        }
        int n = paths.size();
        Pending[] window = new Pending[Math.min(n, PIPELINE_WINDOW)];
        int sent = 0;
        for (int done = 0; done < n; done++) {
            while (sent < n && sent - done < window.length) {
                String path = paths.get(sent);
                window[sent % window.length] = send(type, tx, XenstoreWire.payload(path), operation, path);
                sent++;
            }
            String path = paths.get(done);
            Message reply = receive(window[done % window.length], type, operation, path);
            if (reply.type() == XenstoreWire.ERROR) {
                handler.accept(path, null, new XenstoreException(operation, path, reply.text(), null, null));
            } else {
                handler.accept(path, reply, null);
            }
        }
    }

    /** Lists a directory too large for one reply, piece by piece, restarting if it changes meanwhile. */
    private List<String> directoryPart(int tx, String path) {
        for (int restart = 0; restart < MAX_DIRECTORY_PART_RESTARTS; restart++) {
            ByteArrayOutputStream names = new ByteArrayOutputStream();
            String generation = null;
            boolean changed = false;
            while (true) {
                byte[] reply = request(XenstoreWire.DIRECTORY_PART, tx,
                        XenstoreWire.payload(path, Integer.toString(names.size())), "directory part", path).payload();
                int nul = indexOf(reply, (byte) 0);
                if (nul < 0) {
                    throw XenstoreWire.protocolError("directory part reply without generation");
                }
                String gen = new String(reply, 0, nul, StandardCharsets.US_ASCII);
                if (generation != null && !generation.equals(gen)) {
                    changed = true;
                    break;
                }
                generation = gen;
                int dataLength = reply.length - nul - 1;
                if (dataLength == 0) {
                    throw XenstoreWire.protocolError("directory part reply without data");
                }
                names.write(reply, nul + 1, dataLength);
                byte[] sofar = names.toByteArray();
                if (sofar.length <= 1 || sofar[sofar.length - 2] == 0) {
                    break;
                }
            }
            if (!changed) {
                byte[] all = names.toByteArray();
                int length = all.length > 1 ? all.length - 1 : 0;
                return List.copyOf(XenstoreWire.strings(java.util.Arrays.copyOf(all, length), 0));
            }
        }
        throw new XenstoreException("directory part", path, "EAGAIN",
                "directory kept changing while it was listed", null);
    }

    private static int indexOf(byte[] bytes, byte b) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == b) {
                return i;
            }
        }
        return -1;
    }


    // ------------------------------------------------------------------ request / reply

    private Message request(int type, int tx, byte[] payload, String operation, String path) {
        Message answer = receive(send(type, tx, payload, operation, path), type, operation, path);
        if (answer.type() == XenstoreWire.ERROR) {
            throw new XenstoreException(operation, path, answer.text(), null, null);
        }
        return answer;
    }

    /** A request sent and not yet answered. */
    private record Pending(Connection connection, int reqId, CompletableFuture<Message> reply) {
    }

    private Pending send(int type, int tx, byte[] payload, String operation, String path) {
        if (payload.length > XenstoreWire.MAX_PAYLOAD) {
            throw new XenstoreException(operation, path, "E2BIG",
                    "request of " + payload.length + " bytes exceeds " + XenstoreWire.MAX_PAYLOAD, null);
        }
        int reqId = nextReqId.incrementAndGet();
        Message request = new Message(type, reqId, tx, payload);
        Connection c = liveConnection();
        CompletableFuture<Message> reply;
        try {
            reply = c.send(request);
        } catch (IOException notSent) {
            // nothing reached the daemon: safe to try once more on a fresh connection
            c.fail(new XenstoreException(operation, path, "EIO", notSent.toString(), notSent));
            c = liveConnection();
            try {
                reply = c.send(request);
            } catch (IOException e) {
                c.fail(new XenstoreException(operation, path, "EIO", e.toString(), e));
                throw new XenstoreException(operation, path, "EIO", "cannot send to xenstored: " + e, e);
            }
        }
        return new Pending(c, reqId, reply);
    }

    /**
     * Waits for the reply to a sent request.
     *
     * @return the reply: of the request's type, or an ERROR carrying the daemon's errno name
     * @throws XenstoreException EIO/ETIMEDOUT/EPROTO/EINTR when the exchange itself failed
     */
    private Message receive(Pending pending, int type, String operation, String path) {
        Connection c = pending.connection();
        Message answer = await(c, pending.reqId(), pending.reply(), operation, path);
        if (answer.type() != type && answer.type() != XenstoreWire.ERROR) {
            XenstoreException e = XenstoreWire.protocolError("reply of type " + XenstoreWire.typeName(answer.type())
                    + " to a " + XenstoreWire.typeName(type) + " request");
            c.fail(e);
            throw new XenstoreException(operation, path, "EPROTO", e.getMessage(), e);
        }
        return answer;
    }

    private Message await(Connection c, int reqId, CompletableFuture<Message> reply, String operation, String path) {
        try {
            return reply.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            c.pending.remove(reqId);
            throw new XenstoreException(operation, path, "ETIMEDOUT",
                    "no reply from " + c.transport.path() + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            c.pending.remove(reqId);
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

    private Connection liveConnection() {
        Connection c = connection;
        if (c != null && c.failure == null) {
            return c;
        }
        boolean reconnected;
        synchronized (connectLock) {
            if (closed) {
                throw new XenstoreException("connect", null, "EIO", "client closed", null);
            }
            c = connection;
            if (c != null && c.failure == null) {
                return c;
            }
            reconnected = c != null;
            try {
                c = new Connection(XenstoreTransport.open(endpoints));
            } catch (IOException e) {
                throw new XenstoreException("connect", null, "EIO", "cannot open " + endpoints + ": " + e.getMessage(), e);
            }
            connection = c;
            c.start();
        }
        if (reconnected) {
            LOG.info("reconnected to xenstore at {}", c.transport.path());
            reRegisterWatches();
        }
        return c;
    }

    private void reRegisterWatches() {
        for (Registration reg : watches.values()) {
            try {
                request(XenstoreWire.WATCH, 0, XenstoreWire.payload(reg.path, reg.token), "watch", reg.path);
            } catch (XenstoreException e) {
                LOG.warn("could not re-register watch on {} after reconnect: {}", reg.path, e.getMessage());
            }
        }
    }

    private void dispatchWatchEvent(Message event) {
        List<String> parts = event.strings();
        if (parts.size() < 2) {
            LOG.warn("ignoring malformed watch event {}", parts);
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
        try {
            callbacks.execute(() -> {
                try {
                    reg.callback.accept(eventPath);
                } catch (RuntimeException e) {
                    LOG.warn("watch callback for {} failed", reg.path, e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            LOG.debug("client closed: dropping watch event for {}", eventPath);
        }
    }

    /** One connection: its transport, its reader thread and the requests waiting for replies. */
    private final class Connection {
        final XenstoreTransport transport;
        final Map<Integer, CompletableFuture<Message>> pending = new ConcurrentHashMap<>();
        final Object writeLock = new Object();
        final Thread reader;
        volatile XenstoreException failure;

        Connection(XenstoreTransport transport) {
            this.transport = transport;
            this.reader = new Thread(this::readLoop, "xenstore-reader " + transport.path());
            this.reader.setDaemon(true);
        }

        void start() {
            reader.start();
        }

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

        void fail(XenstoreException e) {
            synchronized (this) {
                if (failure != null) {
                    return;
                }
                failure = e;
            }
            transport.close();
            for (Registration reg : watches.values()) {
                if (reg.listener != null) {
                    reg.listener.missed();
                }
            }
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
                    header.clear();
                    if (!transport.readFully(header)) {
                        throw header.position() == 0
                                ? new XenstoreException("read", null, "EIO", "connection closed by xenstored", null)
                                : XenstoreWire.protocolError("truncated frame: header cut after " + header.position()
                                        + " bytes");
                    }
                    Header h = XenstoreWire.decodeHeader(header);
                    ByteBuffer body = ByteBuffer.allocate(h.length());
                    if (!transport.readFully(body)) {
                        throw XenstoreWire.protocolError("truncated frame: " + body.position() + " of " + h.length()
                                + " payload bytes before the connection closed");
                    }
                    Message message = new Message(h.type(), h.reqId(), h.txId(), body.array());
                    if (message.type() == XenstoreWire.WATCH_EVENT) {
                        dispatchWatchEvent(message);
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
    }

    private final class Registration implements Watch {
        final String path;
        final String token;
        /** Run on the callback thread; null for a {@link #track} registration. */
        final Consumer<String> callback;
        /** Run on the reader thread; null for a {@link #watch} registration. */
        final ChangeListener listener;

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
                request(XenstoreWire.UNWATCH, 0, XenstoreWire.payload(path, token), "unwatch", path);
            } catch (XenstoreException e) {
                if (!e.isNotFound()) {
                    throw e;
                }
            }
        }
    }
}
