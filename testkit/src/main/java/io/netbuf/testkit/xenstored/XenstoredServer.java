package io.netbuf.testkit.xenstored;

import io.netbuf.XenstoreException;
import io.netbuf.testkit.FakeXenstore;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A xenstored for tests: serves a {@link FakeXenstore} over a unix socket with xenstored's wire
 * protocol, so any real client (netbuf's native client, Debian's {@code xenstore-*} tools through
 * {@code XENSTORED_PATH}) can use it. Each connection is served by its own thread, requests in order;
 * replies and watch events are written as they are produced, so a client must keep reading. Like Curator's {@code TestingServer}: start it, point a
 * client at {@link #socketPath()}, {@link #restart()} it to test reconnects, close it.
 *
 * <p>Answers READ, WRITE, MKDIR, DIRECTORY, DIRECTORY_PART, RM, GET_PERMS, SET_PERMS,
 * TRANSACTION_START/END (EAGAIN on conflict), WATCH/UNWATCH with WATCH_EVENT, RESET_WATCHES,
 * GET_DOMAIN_PATH and IS_DOMAIN_INTRODUCED; the domain-management requests get ENOSYS. Every
 * client is treated as dom0: relative paths are resolved under {@code /local/domain/0}.
 * Errors are ERROR frames carrying the errno name. A frame announcing more than 4096 payload
 * bytes, or of unknown type, gets the connection closed, as xenstored does. Thread-safe.
 */
public final class XenstoredServer implements Closeable {
    /** Largest payload of one frame. */
    public static final int MAX_PAYLOAD = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(XenstoredServer.class);
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final String HOME = "/local/domain/0";
    private static final byte[] OK = {'O', 'K', 0};

    private static final int DIRECTORY = 1;
    private static final int READ = 2;
    private static final int GET_PERMS = 3;
    private static final int WATCH = 4;
    private static final int UNWATCH = 5;
    private static final int TRANSACTION_START = 6;
    private static final int TRANSACTION_END = 7;
    private static final int INTRODUCE = 8;
    private static final int RELEASE = 9;
    private static final int GET_DOMAIN_PATH = 10;
    private static final int WRITE = 11;
    private static final int MKDIR = 12;
    private static final int RM = 13;
    private static final int SET_PERMS = 14;
    private static final int WATCH_EVENT = 15;
    private static final int ERROR = 16;
    private static final int IS_DOMAIN_INTRODUCED = 17;
    private static final int RESUME = 18;
    private static final int SET_TARGET = 19;
    private static final int RESET_WATCHES = 21;
    private static final int DIRECTORY_PART = 22;

    private final FakeXenstore store;
    private final Path directory;
    private final Path socketPath;
    private final List<ClientConnection> clients = new CopyOnWriteArrayList<>();
    private ServerSocketChannel server;
    private Thread acceptor;

    private XenstoredServer(FakeXenstore store, Path directory) {
        this.store = store;
        this.directory = directory;
        this.socketPath = directory.resolve("socket");
    }

    /**
     * Starts a server on a fresh socket in a new temporary directory, serving a new empty store.
     *
     * @return the running server
     */
    public static XenstoredServer start() {
        return start(new FakeXenstore());
    }

    /**
     * Starts a server on a fresh socket in a new temporary directory.
     *
     * @param store the tree to serve (it may also be used directly, e.g. as part of a FakeHost)
     * @return the running server
     */
    public static XenstoredServer start(FakeXenstore store) {
        try {
            XenstoredServer s = new XenstoredServer(store, Files.createTempDirectory("xenstored"));
            s.listen();
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the testkit xenstored", e);
        }
    }

    /** @return the unix socket clients connect to; set {@code XENSTORED_PATH} to it for the tools */
    public Path socketPath() {
        return socketPath;
    }

    /** @return the tree this server serves */
    public FakeXenstore store() {
        return store;
    }

    /** @return {@code XENSTORED_PATH=<socket>}, the environment that points Xen's tools here */
    public Map<String, String> environment() {
        return Map.of("XENSTORED_PATH", socketPath.toString());
    }

    /** @return how many clients are connected */
    public int connectionCount() {
        return clients.size();
    }

    /** @return whether the server accepts connections */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * Stops accepting, drops every connection (their open transactions are aborted and watches
     * removed) and removes the socket; the store keeps its contents. Idempotent.
     */
    public synchronized void stop() {
        if (server == null) {
            return;
        }
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("closing the listening socket failed", e);
        }
        server = null;
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ClientConnection c : clients) {
            c.close();
        }
        try {
            Files.deleteIfExists(socketPath);
        } catch (IOException e) {
            LOG.debug("removing {} failed", socketPath, e);
        }
    }

    /** Stops the server and starts it again on the same socket, serving the same store. */
    public synchronized void restart() {
        stop();
        try {
            listen();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot restart the testkit xenstored", e);
        }
    }

    /** Stops the server and removes its temporary directory. Idempotent. */
    @Override
    public synchronized void close() {
        stop();
        try {
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            LOG.debug("removing {} failed", directory, e);
        }
    }

    @Override
    public String toString() {
        return "XenstoredServer[" + socketPath + "]";
    }

    private synchronized void listen() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socketPath));
        server = s;
        acceptor = new Thread(() -> acceptLoop(s), "testkit-xenstored-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    private void acceptLoop(ServerSocketChannel s) {
        while (true) {
            SocketChannel channel;
            try {
                channel = s.accept();
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                LOG.warn("accept failed", e);
                return;
            }
            ClientConnection c = new ClientConnection(channel);
            clients.add(c);
            c.start();
        }
    }

    /** One client: a thread that reads and answers its requests in order, writing each reply at once. */
    private final class ClientConnection {
        private final SocketChannel channel;
        private final Object writeLock = new Object();
        private final Set<Integer> transactions = new HashSet<>();
        private final Map<List<String>, FakeXenstore.WatchHandle> watches = new HashMap<>();
        private final Thread reader;
        private volatile boolean closed;

        ClientConnection(SocketChannel channel) {
            this.channel = channel;
            this.reader = new Thread(this::readLoop, "testkit-xenstored-conn");
            reader.setDaemon(true);
        }

        void start() {
            reader.start();
        }

        void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            clients.remove(this);
            try {
                channel.close();
            } catch (IOException e) {
                LOG.debug("closing a client failed", e);
            }
            // The JDK closes a channel that a thread is reading only when that thread has left the
            // read: until then the client may still write into the old connection, and loses the
            // request. Wait for it, so that a stopped server is really gone, as cxenstored's is.
            if (Thread.currentThread() != reader) {
                try {
                    reader.join(5_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            synchronized (watches) {
                watches.values().forEach(FakeXenstore.WatchHandle::close);
                watches.clear();
            }
            synchronized (transactions) {
                for (int tx : transactions) {
                    try {
                        store.transactionEnd(tx, false);
                    } catch (XenstoreException e) {
                        LOG.debug("transaction {} already gone", tx);
                    }
                }
                transactions.clear();
            }
        }

        private void readLoop() {
            ByteBuffer header = ByteBuffer.allocate(16).order(ORDER);
            try {
                while (!closed) {
                    header.clear();
                    if (!readFully(header)) {
                        return;
                    }
                    int type = header.getInt(0);
                    int reqId = header.getInt(4);
                    int txId = header.getInt(8);
                    int len = header.getInt(12);
                    if (len < 0 || len > MAX_PAYLOAD) {
                        LOG.warn("client sent a frame of {} bytes: closing it", Integer.toUnsignedString(len));
                        return;
                    }
                    ByteBuffer body = ByteBuffer.allocate(len);
                    if (!readFully(body)) {
                        return;
                    }
                    handle(type, reqId, txId, body.array());
                }
            } catch (IOException e) {
                if (!closed) {
                    LOG.debug("client connection failed", e);
                }
            } finally {
                close();
            }
        }

        private boolean readFully(ByteBuffer buf) throws IOException {
            while (buf.hasRemaining()) {
                if (channel.read(buf) < 0) {
                    return false;
                }
            }
            return true;
        }

        private void send(int type, int reqId, int txId, byte[] payload) {
            ByteBuffer frame = ByteBuffer.allocate(16 + payload.length).order(ORDER);
            frame.putInt(type).putInt(reqId).putInt(txId).putInt(payload.length).put(payload).flip();
            // Written at once, in the order produced: a watch event caused by a request is queued
            // by the store before that request's reply, as in xenstored.
            synchronized (writeLock) {
                try {
                    while (frame.hasRemaining()) {
                        channel.write(frame);
                    }
                } catch (IOException e) {
                    if (!closed) {
                        LOG.debug("writing to a client failed", e);
                    }
                    closeLater();
                }
            }
        }

        /** Closes from a thread of its own: the writer may hold the store's lock. */
        private void closeLater() {
            Thread t = new Thread(this::close, "testkit-xenstored-close");
            t.setDaemon(true);
            t.start();
        }

        private void handle(int type, int reqId, int txId, byte[] payload) {
            byte[] reply;
            try {
                if (txId != 0 && !ownsTransaction(txId)) {
                    throw new XenstoreException(name(type), null, "ENOENT", "no transaction " + txId, null);
                }
                reply = answer(type, reqId, txId, payload);
            } catch (XenstoreException e) {
                send(ERROR, reqId, txId, terminated(e.errno()));
                return;
            } catch (BadRequest e) {
                send(ERROR, reqId, txId, terminated(e.errno));
                return;
            }
            if (reply != null) {
                if (reply.length > MAX_PAYLOAD) {
                    send(ERROR, reqId, txId, terminated("E2BIG"));
                } else {
                    send(type, reqId, txId, reply);
                }
            }
        }

        private boolean ownsTransaction(int tx) {
            synchronized (transactions) {
                return transactions.contains(tx);
            }
        }

        /** @return the reply payload, or null when the reply was already queued */
        private byte[] answer(int type, int reqId, int txId, byte[] payload) {
            List<String> args = strings(payload);
            switch (type) {
                case READ:
                    return store.readBytes(txId, path(args, 0))
                            .orElseThrow(() -> new XenstoreException("read", args.get(0), "ENOENT", null, null));
                case WRITE: {
                    int nul = indexOfNul(payload);
                    if (nul < 0) {
                        throw new BadRequest("EINVAL");
                    }
                    String path = absolute(new String(payload, 0, nul, StandardCharsets.UTF_8));
                    store.writeBytes(txId, path, Arrays.copyOfRange(payload, nul + 1, payload.length));
                    return OK;
                }
                case MKDIR:
                    store.mkdir(txId, path(args, 0));
                    return OK;
                case RM:
                    store.rm(txId, path(args, 0));
                    return OK;
                case DIRECTORY:
                    return joined(store.list(txId, path(args, 0)));
                case DIRECTORY_PART:
                    return directoryPart(txId, path(args, 0), arg(args, 1));
                case GET_PERMS:
                    return joined(store.getPerms(txId, path(args, 0)));
                case SET_PERMS:
                    store.setPerms(txId, path(args, 0), args.subList(1, args.size()));
                    return OK;
                case TRANSACTION_START: {
                    if (txId != 0) {
                        throw new BadRequest("EBUSY");
                    }
                    int tx = store.transactionStart();
                    synchronized (transactions) {
                        transactions.add(tx);
                    }
                    return terminated(Integer.toUnsignedString(tx));
                }
                case TRANSACTION_END: {
                    String how = arg(args, 0);
                    if (txId == 0 || !(how.equals("T") || how.equals("F"))) {
                        throw new BadRequest(txId == 0 ? "ENOENT" : "EINVAL");
                    }
                    synchronized (transactions) {
                        transactions.remove(txId);
                    }
                    store.transactionEnd(txId, how.equals("T"));
                    return OK;
                }
                case WATCH:
                    watch(reqId, arg(args, 0), arg(args, 1));
                    return null;
                case UNWATCH: {
                    FakeXenstore.WatchHandle h;
                    synchronized (watches) {
                        h = watches.remove(List.of(arg(args, 0), arg(args, 1)));
                    }
                    if (h == null) {
                        throw new BadRequest("ENOENT");
                    }
                    h.close();
                    return OK;
                }
                case RESET_WATCHES:
                    synchronized (watches) {
                        watches.values().forEach(FakeXenstore.WatchHandle::close);
                        watches.clear();
                    }
                    return OK;
                case GET_DOMAIN_PATH:
                    return terminated("/local/domain/" + domid(arg(args, 0)));
                case IS_DOMAIN_INTRODUCED:
                    return terminated(domid(arg(args, 0)) == 0 ? "T" : "F");
                case INTRODUCE:
                case RELEASE:
                case RESUME:
                case SET_TARGET:
                    throw new BadRequest("ENOSYS");
                default:
                    throw new BadRequest("EINVAL");
            }
        }

        private void watch(int reqId, String rawPath, String token) {
            String path = rawPath.startsWith("@") ? rawPath : absolute(rawPath);
            if (!rawPath.startsWith("@")) {
                FakeXenstore.checkPath("watch", path);
            }
            List<String> key = List.of(rawPath, token);
            synchronized (watches) {
                if (watches.containsKey(key)) {
                    throw new BadRequest("EEXIST");
                }
                // xenstored acknowledges first, then fires the watch once
                send(WATCH, reqId, 0, OK);
                boolean relative = !rawPath.startsWith("/") && !rawPath.startsWith("@");
                watches.put(key, store.watch(path, token,
                        (eventPath, t) -> send(WATCH_EVENT, 0, 0, eventPayload(relative, eventPath, t))));
            }
        }

        private byte[] directoryPart(int txId, String path, String offsetText) {
            int offset;
            try {
                offset = Integer.parseInt(offsetText);
            } catch (NumberFormatException e) {
                throw new BadRequest("EINVAL");
            }
            FakeXenstore.Listing listing = store.listing(txId, path);
            byte[] all = joined(listing.children());
            if (offset < 0 || offset > all.length) {
                throw new BadRequest("EINVAL");
            }
            byte[] gen = terminated(Long.toString(listing.generation()));
            int room = MAX_PAYLOAD - gen.length - 1;
            int end = offset;
            int next = offset;
            while (next < all.length) {
                int nul = next;
                while (all[nul] != 0) {
                    nul++;
                }
                if (nul + 1 - offset > room) {
                    break;
                }
                next = nul + 1;
                end = next;
            }
            boolean last = end == all.length;
            byte[] out = new byte[gen.length + (end - offset) + (last ? 1 : 0)];
            System.arraycopy(gen, 0, out, 0, gen.length);
            System.arraycopy(all, offset, out, gen.length, end - offset);
            return out;
        }

        private byte[] eventPayload(boolean relative, String eventPath, String token) {
            String p = eventPath;
            if (relative && p.startsWith(HOME + "/")) {
                p = p.substring(HOME.length() + 1);
            }
            byte[] a = terminated(p);
            byte[] b = terminated(token);
            byte[] out = Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        }
    }

    private static String path(List<String> args, int index) {
        return absolute(arg(args, index));
    }

    private static String arg(List<String> args, int index) {
        if (index >= args.size()) {
            throw new BadRequest("EINVAL");
        }
        return args.get(index);
    }

    /** Resolves a relative path under dom0's home, as xenstored does for a dom0 connection. */
    private static String absolute(String path) {
        if (path.isEmpty() || path.startsWith("/")) {
            return path;
        }
        return HOME + "/" + path;
    }

    private static int domid(String text) {
        try {
            return Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new BadRequest("EINVAL");
        }
    }

    private static List<String> strings(byte[] payload) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                out.add(new String(payload, start, i - start, StandardCharsets.UTF_8));
                start = i + 1;
            }
        }
        if (start < payload.length) {
            out.add(new String(payload, start, payload.length - start, StandardCharsets.UTF_8));
        }
        return out;
    }

    private static int indexOfNul(byte[] payload) {
        for (int i = 0; i < payload.length; i++) {
            if (payload[i] == 0) {
                return i;
            }
        }
        return -1;
    }

    private static byte[] terminated(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }

    private static byte[] joined(List<String> strings) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (String s : strings) {
            out.writeBytes(terminated(s));
        }
        return out.toByteArray();
    }

    private static String name(int type) {
        return "request type " + type;
    }

    /** A request the protocol layer refuses, answered with an errno name. */
    private static final class BadRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String errno;

        BadRequest(String errno) {
            super(errno, null, false, false);
            this.errno = errno;
        }
    }
}
