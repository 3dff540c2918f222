package io.netbuf.testkit.xenstored;

import io.netbuf.testkit.FakeXenstore;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A xenstored for tests: serves a {@link FakeXenstore} over a unix socket with xenstored's wire
 * protocol, so any real client (netbuf's native client, Debian's {@code xenstore-*} tools through
 * {@code XENSTORED_PATH}) can use it. Each connection is served by its own thread, requests in order;
 * replies and watch events are written as they are produced, so a client must keep reading. Like
 * Curator's {@code TestingServer}: start it, point a client at {@link #socketPath()},
 * {@link #restart()} it to test reconnects, close it.
 *
 * <p>Answers READ, WRITE, MKDIR, DIRECTORY, DIRECTORY_PART, RM, GET_PERMS, SET_PERMS,
 * TRANSACTION_START/END (EAGAIN on conflict), WATCH/UNWATCH with WATCH_EVENT, RESET_WATCHES,
 * GET_DOMAIN_PATH and IS_DOMAIN_INTRODUCED; the domain-management requests get ENOSYS. Every
 * client is treated as dom0: relative paths are resolved under {@code /local/domain/0}. By default it
 * behaves like the C xenstored; {@link #start(XenstoredFlavour)} picks oxenstored's behaviour where the two
 * differ ({@link XenstoredFlavour}).
 * Errors are ERROR frames carrying the errno name. A frame announcing more than 4096 payload
 * bytes, or of unknown type, gets the connection closed, as xenstored does. Thread-safe.
 */
public final class XenstoredServer implements Closeable {
    /** Largest payload of one frame. */
    public static final int MAX_PAYLOAD = 4096;
    private static final Logger LOG = LoggerFactory.getLogger(XenstoredServer.class);

    private final FakeXenstore store;
    private final XenstoredFlavour flavour;
    private final Path directory;
    private final Path socketPath;
    private final List<ClientConnection> clients = new CopyOnWriteArrayList<>();
    private ServerSocketChannel server;
    private Thread acceptor;

    private XenstoredServer(FakeXenstore store, XenstoredFlavour flavour, Path directory) {
        this.store = store;
        this.flavour = flavour;
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
        return start(store, XenstoredFlavour.C_XENSTORED);
    }

    /**
     * Starts a server that behaves like one of Xen's daemons where they differ, serving a new empty store.
     *
     * @param flavour the daemon to behave like
     * @return the running server
     */
    public static XenstoredServer start(XenstoredFlavour flavour) {
        return start(new FakeXenstore(), flavour);
    }

    /**
     * Starts a server on a fresh socket in a new temporary directory, behaving like one of Xen's daemons.
     *
     * @param store the tree to serve (it may also be used directly, e.g. as part of a FakeHost)
     * @param flavour the daemon to behave like where they differ
     * @return the running server
     */
    public static XenstoredServer start(FakeXenstore store, XenstoredFlavour flavour) {
        java.util.Objects.requireNonNull(flavour, "flavour");
        try {
            XenstoredServer s = new XenstoredServer(store, flavour, Files.createTempDirectory("xenstored"));
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

    /** @return the daemon this server behaves like */
    public XenstoredFlavour flavour() {
        return flavour;
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
            ClientConnection c = new ClientConnection(channel, store, flavour, clients::remove);
            clients.add(c);
            c.start();
        }
    }
}
