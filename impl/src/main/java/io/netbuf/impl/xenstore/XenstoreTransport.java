package io.netbuf.impl.xenstore;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A byte stream to xenstored: a unix socket or the xenbus device. Reads and writes may happen on
 * two threads at once; {@link #close()} unblocks a pending read.
 */
final class XenstoreTransport implements AutoCloseable {
    /** The daemon's default socket (XEN_RUN_STORED/socket). */
    static final Path DEFAULT_SOCKET = Path.of("/var/run/xenstored/socket");
    /** The kernel's xenbus device in dom0. */
    static final Path XENBUS_DEVICE = Path.of("/dev/xen/xenbus");
    /** The legacy location of the xenbus device. */
    static final Path PROC_XENBUS = Path.of("/proc/xen/xenbus");

    private final ByteChannel channel;
    private final Path path;
    private final boolean device;

    private XenstoreTransport(ByteChannel channel, Path path) {
        this(channel, path, channel instanceof DeviceChannel);
    }

    /**
     * @param channel the open byte stream
     * @param path what it is connected to
     * @param device whether it is the xenbus device (one request at a time: {@link #oneRequestAtATime()})
     */
    XenstoreTransport(ByteChannel channel, Path path, boolean device) {
        this.channel = channel;
        this.path = path;
        this.device = device;
    }

    /**
     * Whether the next request may be written only once the previous one was answered. True for the
     * xenbus device: the kernel queues a request for its xenbus thread and returns from {@code write(2)}
     * while the request's payload still lies in the open file's one buffer, which the next write
     * overwrites; a request written before the previous one reached xenstored sends that one with the
     * next one's payload (seen in the Xen lab: a pipelined read answered with the next path's value).
     * libxenstore never has two requests in flight on one handle. A socket takes any number.
     *
     * @return whether requests must not overlap on this transport
     */
    boolean oneRequestAtATime() {
        return device;
    }

    /** @return this transport under the xenbus device's rules (for tests that stand a socket in for it) */
    XenstoreTransport asDevice() {
        return new XenstoreTransport(channel, path, true);
    }

    /** @return what this transport is connected to */
    Path path() {
        return path;
    }

    /**
     * The places libxenstore's {@code xs_open} tries, in order: {@code XENSTORED_PATH} or the
     * daemon socket; then {@code XENSTORED_PATH} or the xenbus device.
     *
     * @param env the environment to read {@code XENSTORED_PATH} from
     * @return the candidates, without duplicates
     */
    static List<Path> candidates(Map<String, String> env) {
        String override = env.get("XENSTORED_PATH");
        List<Path> out = new ArrayList<>();
        if (override != null && !override.isEmpty()) {
            out.add(Path.of(override));
            return out;
        }
        out.add(DEFAULT_SOCKET);
        out.add(Files.exists(XENBUS_DEVICE) ? XENBUS_DEVICE : PROC_XENBUS);
        return out;
    }

    /**
     * Opens the first candidate that works: a socket is connected, anything else is opened
     * read-write as a device (as libxenstore's {@code get_handle} decides by {@code stat}).
     *
     * @param candidates where to try
     * @param timeout the longest wait for a daemon to accept a connection (native sockets)
     * @return the transport
     * @throws IOException describing every failed attempt
     */
    static XenstoreTransport open(List<Path> candidates, java.time.Duration timeout) throws IOException {
        IOException failure = null;
        for (Path candidate : candidates) {
            try {
                return open(candidate, timeout);
            } catch (IOException e) {
                IOException wrapped = new IOException(candidate + ": " + e, e);
                if (failure == null) {
                    failure = wrapped;
                } else {
                    failure.addSuppressed(wrapped);
                }
            }
        }
        throw failure == null ? new IOException("no xenstore endpoint to try") : failure;
    }

    /**
     * A socket is connected through {@link UnixSocketChannel} (the JDK's channel where JNA's libc
     * binding is unavailable).
     *
     * @param path a unix socket or a xenbus device
     * @param timeout the longest wait for the daemon to accept the connection (native sockets)
     * @return the open transport
     * @throws IOException when it does not exist or cannot be opened
     */
    static XenstoreTransport open(Path path, java.time.Duration timeout) throws IOException {
        if (isSocket(path) && UnixSocketChannel.unavailableReason() == null) {
            return new XenstoreTransport(UnixSocketChannel.connect(path, Math.max(1, timeout.toMillis())), path);
        }
        if (isSocket(path)) {
            SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                // non-blocking: a daemon whose listen backlog is full fails the connect at once (EAGAIN)
                // instead of holding it until it accepts again
                socket.configureBlocking(false);
                if (!socket.connect(UnixDomainSocketAddress.of(path)) && !socket.finishConnect()) {
                    throw new IOException("connect: " + path + " did not accept the connection");
                }
                socket.configureBlocking(true);
            } catch (IOException e) {
                socket.close();
                throw e;
            }
            return new XenstoreTransport(socket, path);
        }
        return new XenstoreTransport(DeviceChannel.open(path), path);
    }

    private static boolean isSocket(Path path) throws IOException {
        Object mode = Files.getAttribute(path, "unix:mode");
        return mode instanceof Integer m && (m & 0170000) == 0140000;
    }

    /**
     * Reads exactly {@code buf.remaining()} bytes.
     *
     * @param buf the buffer to fill
     * @return false when the stream ended before all bytes arrived ({@code buf.position()} tells how many did)
     * @throws IOException on a read error
     */
    boolean readFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Reads what is there, at least one byte (blocking until then).
     *
     * @param buf the buffer to fill
     * @return the number of bytes read, -1 at the end of the stream
     * @throws IOException on a read error
     */
    int read(ByteBuffer buf) throws IOException {
        return channel.read(buf);
    }

    /**
     * Writes all of {@code buf}.
     *
     * @param buf the bytes
     * @throws IOException on a write error
     */
    void writeFully(ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing a broken channel: nothing left to release
        }
    }

    /**
     * The xenbus device as a byte channel whose reads and writes do not wait for each other. One
     * {@link FileChannel} would not do: it serialises read and write on one lock, so the reader thread
     * blocked in {@code read(2)} until xenstored answers would keep every request from being written
     * (a hang seen on a real dom0). Here reads and writes go through two channels on the same open file
     * (the device keeps one connection, transactions and watches per open file); closing unblocks a read.
     */
    private static final class DeviceChannel implements ByteChannel {
        private final FileChannel in;
        private final FileChannel out;

        private DeviceChannel(FileChannel in, FileChannel out) {
            this.in = in;
            this.out = out;
        }

        static DeviceChannel open(Path path) throws IOException {
            RandomAccessFile file = new RandomAccessFile(path.toFile(), "rw");
            try {
                return new DeviceChannel(new FileInputStream(file.getFD()).getChannel(),
                        new FileOutputStream(file.getFD()).getChannel());
            } catch (RuntimeException e) {
                file.close();
                throw e;
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return in.read(dst);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return out.write(src);
        }

        @Override
        public boolean isOpen() {
            return in.isOpen() && out.isOpen();
        }

        @Override
        public void close() throws IOException {
            try {
                in.close();
            } finally {
                out.close();
            }
        }
    }
}
