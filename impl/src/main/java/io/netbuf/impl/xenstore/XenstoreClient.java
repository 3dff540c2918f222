package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreWire.Message;
import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.TransactionalXenstore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A native XenStore client speaking the wire protocol over xenstored's unix socket or the xenbus
 * device, found the way libxenstore finds it ({@code XENSTORED_PATH}, else
 * {@code /var/run/xenstored/socket}, else {@code /dev/xen/xenbus}).
 *
 * <p>Thread-safe. Requests from many threads are pipelined on one connection and matched to their
 * replies by request id by a reader thread; every call waits at most the configured timeout.
 * Watch callbacks run on a separate single thread, in the order the events arrived, so a slow
 * callback never delays a reply; {@link #track} listeners run on the reader thread, so that a
 * change is seen before any reply that follows it. A broken connection fails the calls in flight
 * with {@code EIO}; the next call reconnects and re-registers the watches. Malformed frames
 * (unknown type, length over 4096, a frame cut short, a reply of the wrong type) fail with
 * {@code EPROTO} and drop the connection; a DIRECTORY reply may exceed 4096 bytes (oxenstored sends
 * large directories whole, up to 1 MiB is accepted). Every call, connect and write included, ends
 * within the timeout. A transaction belongs to the connection that started it: after a reconnect its
 * requests fail with {@code EAGAIN} and {@link #transaction(Function)} runs the body again. Paths are
 * checked like Xen's daemons check them before anything is sent.
 *
 * <p>The operations are here; the connection is a {@link ReconnectingConnection}, the watches a
 * {@link WatchRegistry}, and directories too large for one reply are listed by {@link DirectoryPaging}.
 */
public final class XenstoreClient extends TransactionalXenstore implements ChangeFeed, AutoCloseable {
    /** Default longest wait for one reply. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_TRANSACTION_ATTEMPTS = 100;

    private final WatchRegistry watches;
    private final ReconnectingConnection connection;

    private XenstoreClient(List<Path> endpoints, Duration timeout) {
        this(endpoints, timeout, false);
    }

    /** @param deviceRules every connection under the xenbus device's rules (tests stand a socket in for it) */
    private XenstoreClient(List<Path> endpoints, Duration timeout, boolean deviceRules) {
        super(MAX_TRANSACTION_ATTEMPTS);
        this.watches = new WatchRegistry(this::watchRequest);
        this.connection = new ReconnectingConnection(endpoints, timeout, watches, deviceRules);
    }

    /**
     * Connects to a socket as if it were the xenbus device (one request at a time, events caught up
     * with): for tests whose peer behaves like the kernel's device.
     *
     * @param socket the peer's socket
     * @param timeout the longest wait for one reply
     * @return a connected client
     */
    static XenstoreClient connectAsDevice(Path socket, Duration timeout) {
        return opened(new XenstoreClient(List.of(socket), timeout, true));
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
        return opened(new XenstoreClient(endpoints, timeout));
    }

    /** @return {@code client}, its connection opened (closed again when that fails) */
    private static XenstoreClient opened(XenstoreClient client) {
        try {
            client.connection.open();
        } catch (XenstoreException e) {
            client.close();
            throw e;
        }
        return client;
    }

    /** @return the endpoint of the current connection, or empty when disconnected */
    public Optional<Path> endpoint() {
        return connection.endpoint();
    }

    // ------------------------------------------------------------------ more of the protocol

    /**
     * Reads a value as the bytes xenstored holds (values are not necessarily UTF-8 text; {@link #read(String)}
     * decodes them as UTF-8, replacing what is not).
     *
     * @param path an absolute path
     * @return the value's bytes, or empty when the node does not exist
     */
    public Optional<byte[]> readBytes(String path) {
        return readBytes(NO_TRANSACTION, path);
    }

    /**
     * Writes a value as bytes (creating missing parents).
     *
     * @param path an absolute path
     * @param value the bytes to store
     */
    public void writeBytes(String path, byte[] value) {
        writeBytes(NO_TRANSACTION, path, value);
    }

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
     * {@link #transaction(Function)}, or end it with {@link #transactionEnd(int, boolean)}. The id is this
     * client's own, bound to the connection that started the transaction: after a reconnect every request
     * in it fails with EAGAIN (and {@link #transaction(Function)} runs the body again in a new one).
     *
     * @return the transaction id
     */
    @Override
    public int transactionStart() {
        return connection.transactionStart();
    }

    /**
     * Ends a transaction.
     *
     * @param tx the id from {@link #transactionStart()}
     * @param commit true to commit, false to abort
     * @throws XenstoreException EAGAIN when the commit conflicted, or the transaction was lost with its
     *     connection (the daemon restarted); ENOENT for an unknown id
     */
    @Override
    public void transactionEnd(int tx, boolean commit) {
        connection.transactionEnd(tx, commit);
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
        return watches.watch(path, callback);
    }

    /**
     * {@inheritDoc} The listener runs on the reader thread, before the reply that follows the event
     * on the connection is handed to its caller; {@link ChangeListener#missed()} runs when the
     * connection drops (the next call reconnects and re-registers the watch).
     */
    @Override
    public Watch track(String path, ChangeListener listener) {
        Objects.requireNonNull(listener, "listener");
        return watches.track(path, listener);
    }

    /** A registered watch; closing it removes the watch from xenstored. */
    public interface Watch extends ChangeFeed.Subscription {
    }

    /** Closes the connection and stops the callback thread. Idempotent. */
    @Override
    public void close() {
        watches.close();
        connection.close();
    }

    @Override
    public String toString() {
        return "XenstoreClient" + connection.endpoints();
    }

    /** @return how many watch events wait for their callbacks (bounded per watch; for tests) */
    int pendingWatchEvents() {
        return watches.pendingEvents();
    }

    // ------------------------------------------------------------------ operations with a transaction id

    @Override
    protected Optional<String> read(int tx, String path) {
        return readBytes(tx, path).map(value -> new String(value, StandardCharsets.UTF_8));
    }

    private Optional<byte[]> readBytes(int tx, String path) {
        XenstorePaths.check("read", path);
        try {
            return Optional.of(request(XenstoreWire.READ, tx, XenstoreWire.payload(path), "read", path).payload());
        } catch (XenstoreException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    protected void write(int tx, String path, String value) {
        writeBytes(tx, path, value.getBytes(StandardCharsets.UTF_8));
    }

    private void writeBytes(int tx, String path, byte[] value) {
        XenstorePaths.check("write", path);
        request(XenstoreWire.WRITE, tx, XenstoreWire.pathAndValue(path, value), "write", path);
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
        XenstorePaths.checkRemovable(path);
        request(XenstoreWire.RM, tx, XenstoreWire.payload(path), "rm", path);
    }

    @Override
    protected List<String> list(int tx, String path) {
        XenstorePaths.check("directory", path);
        try {
            Message reply = request(XenstoreWire.DIRECTORY, tx, XenstoreWire.payload(path), "directory", path);
            return List.copyOf(reply.strings());
        } catch (XenstoreException e) {
            if (!"E2BIG".equals(e.errno())) {
                throw e;
            }
            return DirectoryPaging.list(connection, tx, path);
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
                listings.add(Optional.of(DirectoryPaging.list(connection, tx, path)));
            } else {
                throw failure;
            }
        });
        return listings;
    }

    /** Checks every path, then pipelines one request per path through the connection. */
    private void pipeline(int type, int tx, List<String> paths, String operation,
            ReconnectingConnection.ReplyHandler handler) {
        for (String path : paths) {
            XenstorePaths.check(operation, path);
        }
        connection.pipeline(type, tx, paths, operation, handler);
    }

    private Message request(int type, int tx, byte[] payload, String operation, String path) {
        return connection.request(type, tx, payload, operation, path);
    }

    private void watchRequest(int type, byte[] payload, String operation, String path) {
        request(type, NO_TRANSACTION, payload, operation, path);
    }
}
