package io.netbuf.testkit.xenstored;

import io.netbuf.XenstoreException;
import io.netbuf.testkit.FakeXenstore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client of the {@link XenstoredServer}: a thread that reads and answers its requests in order,
 * writing each reply at once. Closing it aborts its open transactions and removes its watches.
 */
final class ClientConnection {
    private static final Logger LOG = LoggerFactory.getLogger(XenstoredServer.class);
    private static final int MAX_PAYLOAD = XenstoredServer.MAX_PAYLOAD;
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

    private final SocketChannel channel;
    private final FakeXenstore store;
    private final XenstoredFlavour flavour;
    private final Consumer<ClientConnection> onClosed;
    private final Object writeLock = new Object();
    private final Set<Integer> transactions = new HashSet<>();
    private final Map<List<String>, FakeXenstore.WatchHandle> watches = new HashMap<>();
    private final Thread reader;
    private volatile boolean closed;

    /**
     * @param channel the accepted connection
     * @param store the tree to serve
     * @param flavour which daemon to behave like
     * @param onClosed told once when the connection closes
     */
    ClientConnection(SocketChannel channel, FakeXenstore store, XenstoredFlavour flavour,
            Consumer<ClientConnection> onClosed) {
        this.channel = channel;
        this.store = store;
        this.flavour = flavour;
        this.onClosed = onClosed;
        this.reader = new Thread(this::readLoop, "testkit-xenstored-conn");
        reader.setDaemon(true);
    }

    /** Starts serving. */
    void start() {
        reader.start();
    }

    /** Closes the connection and waits (bounded) for its reader to stop; idempotent. */
    void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        onClosed.accept(this);
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
                throw new XenstoreException(name(type), null, oxenstored() ? "EIO" : "ENOENT",
                        "no transaction " + txId, null);
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
            if (reply.length > MAX_PAYLOAD && !(oxenstored() && type == DIRECTORY)) {
                send(ERROR, reqId, txId, terminated("E2BIG"));
            } else {
                send(type, reqId, txId, reply);
            }
        }
    }

    private boolean oxenstored() {
        return flavour == XenstoredFlavour.OXENSTORED;
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
                if (oxenstored() && payload.length - nul - 1 > XenstoredFlavour.OXENSTORED_MAX_VALUE) {
                    FakeXenstore.checkPath("write", path);
                    throw new BadRequest("E2BIG");
                }
                store.writeBytes(txId, path, Arrays.copyOfRange(payload, nul + 1, payload.length));
                return OK;
            }
            case MKDIR:
                store.mkdir(txId, path(args, 0));
                return OK;
            case RM:
                if (oxenstored() && path(args, 0).equals("/")) {
                    for (String child : store.list(txId, "/")) { // oxenstored wipes the store
                        store.rm(txId, "/" + child);
                    }
                    return OK;
                }
                store.rm(txId, path(args, 0));
                return OK;
            case DIRECTORY:
                return joined(directory(txId, path(args, 0)));
            case DIRECTORY_PART:
                if (oxenstored()) {
                    throw new BadRequest("ENOSYS");
                }
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
                int tx = store.transactionStart(oxenstored());
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

    /** The children as the flavour lists them: oxenstored sorts them and shows its special watch paths under /. */
    private List<String> directory(int txId, String path) {
        List<String> children = store.list(txId, path);
        if (!oxenstored()) {
            return children;
        }
        List<String> sorted = new java.util.ArrayList<>(children);
        if (path.equals("/")) {
            sorted.add("@introduceDomain");
            sorted.add("@releaseDomain");
        }
        java.util.Collections.sort(sorted);
        return sorted;
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
        ByteArrayOutputStream out = new ByteArrayOutputStream();
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
