package io.netbuf.impl.xenstore;

import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import io.netbuf.impl.libc.NativeMemory;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ByteChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A connected unix stream socket on libc's {@code socket}/{@code connect}/{@code read}/{@code write}
 * through {@link Libc}. The JDK's own unix socket channel would do, but its first
 * use initialises {@code sun.nio.ch.UnixDomainSockets}, which seeds a {@code SecureRandom} (for
 * temporary socket names the client never uses): about 8 ms of every short-lived process, a
 * hotplug call included, that connects to xenstored once.
 *
 * <p>One thread may read while another writes. {@link #close()} shuts the socket down, which
 * wakes a blocked read (it then fails with {@link AsynchronousCloseException}) or write, and
 * releases the descriptor when no call uses it any more, before it returns: a descriptor number is
 * never reused under a running call, and none is left open behind a closed channel. Unlike the
 * JDK's channel it is not closed by an interrupt: an interrupted caller gives up waiting for its
 * reply (see {@link XenstoreClient}) and the connection stays usable.
 */
final class UnixSocketChannel implements ByteChannel {
    /** {@code sizeof(struct sockaddr_un)}: family, then a 108-byte path. */
    private static final int SOCKADDR_UN_SIZE = 110;
    private static final int CHUNK = 8192;
    /** How long {@link #close()} waits for woken calls to leave before leaving the close to them. */
    private static final long CLOSE_WAIT_NANOS = 2_000_000_000L;

    private final int fd;
    private final NativeMemory readMemory = new NativeMemory(CHUNK);
    private final NativeMemory writeMemory = new NativeMemory(CHUNK);
    private final ByteBuffer readBuffer = readMemory.buffer();
    private final ByteBuffer writeBuffer = writeMemory.buffer();
    private final Object readLock = new Object();
    private final Object writeLock = new Object();
    /** Calls in progress; guarded by {@code this}. */
    private int users;
    /** Guarded by {@code this}. */
    private boolean closed;
    /** Guarded by {@code this}. */
    private boolean descriptorClosed;

    private UnixSocketChannel(int fd) {
        this.fd = fd;
    }

    /** @return why the native socket cannot be used here, or null when it can */
    static String unavailableReason() {
        return Libc.unavailableReason();
    }

    /**
     * @param path the socket to connect to
     * @return the connected channel
     * @throws IOException when the socket cannot be created or connected (the errno's text)
     */
    static UnixSocketChannel connect(Path path) throws IOException {
        return connect(path, 0);
    }

    /**
     * Connects, waiting at most {@code timeoutMillis} for room in the server's listen backlog (a
     * daemon that stopped accepting): {@code SO_SNDTIMEO} bounds a unix stream connect on Linux, and
     * is reset to none once connected.
     *
     * @param path the socket to connect to
     * @param timeoutMillis the longest wait, 0 for none
     * @return the connected channel
     * @throws IOException when the socket cannot be created or connected in time (the errno's text)
     */
    static UnixSocketChannel connect(Path path, long timeoutMillis) throws IOException {
        if (Libc.unavailableReason() != null) {
            throw new IOException(Libc.unavailableReason());
        }
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length >= SOCKADDR_UN_SIZE - 2) {
            throw new IOException("unix socket path longer than " + (SOCKADDR_UN_SIZE - 3) + " bytes: " + path);
        }
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw failure("socket(AF_UNIX)", Libc.errno());
        }
        try (NativeMemory address = new NativeMemory(SOCKADDR_UN_SIZE);
                NativeMemory timeval = new NativeMemory(16)) {
            address.buffer().putShort(0, (short) Libc.AF_UNIX).put(2, name);
            if (timeoutMillis > 0) {
                sendTimeout(fd, timeval, timeoutMillis);
            }
            int rc;
            int errno;
            do {
                rc = Libc.connect(fd, address.address(), SOCKADDR_UN_SIZE);
                errno = rc < 0 ? Libc.errno() : 0;
            } while (rc < 0 && errno == Errno.EINTR);
            if (rc < 0) {
                Libc.close(fd);
                throw errno == Errno.EAGAIN
                        ? new IOException("connect: " + path + " accepted no connection within " + timeoutMillis + " ms")
                        : failure("connect", errno);
            }
            if (timeoutMillis > 0) {
                sendTimeout(fd, timeval, 0);
            }
        }
        return new UnixSocketChannel(fd);
    }

    /** Sets SO_SNDTIMEO ({@code struct timeval}) to {@code millis}, 0 for none. */
    private static void sendTimeout(int fd, NativeMemory timeval, long millis) throws IOException {
        timeval.buffer().order(java.nio.ByteOrder.nativeOrder()).putLong(0, millis / 1000).putLong(8, (millis % 1000) * 1000);
        if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDTIMEO, timeval.address(), 16) < 0) {
            int errno = Libc.errno();
            Libc.close(fd);
            throw failure("setsockopt(SO_SNDTIMEO)", errno);
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        synchronized (readLock) {
            enter();
            try {
                int want = Math.min(dst.remaining(), CHUNK);
                long n = transfer(false, readMemory, want);
                if (n == 0) {
                    if (!isOpen()) {
                        throw new AsynchronousCloseException();
                    }
                    return want == 0 ? 0 : -1;
                }
                dst.put(readBuffer.clear().limit((int) n));
                return (int) n;
            } finally {
                leave();
            }
        }
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        synchronized (writeLock) {
            enter();
            try {
                int count = Math.min(src.remaining(), CHUNK);
                int start = src.position();
                writeBuffer.clear();
                writeBuffer.put(src.slice(start, count));
                long n = transfer(true, writeMemory, count);
                src.position(start + (int) n);
                return (int) n;
            } finally {
                leave();
            }
        }
    }

    @Override
    public synchronized boolean isOpen() {
        return !closed;
    }

    /**
     * Shuts the socket down, which wakes any blocked call, waits (briefly) for the calls to leave and
     * closes the descriptor; if a call does not leave in time, it closes the descriptor on its way out.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.shutdown(fd, Libc.SHUT_RDWR);
        long deadline = System.nanoTime() + CLOSE_WAIT_NANOS;
        try {
            for (long left = CLOSE_WAIT_NANOS; users > 0 && left > 0; left = deadline - System.nanoTime()) {
                wait(Math.max(1, left / 1_000_000));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (users == 0) {
            closeDescriptor();
        }
    }

    private synchronized void enter() throws ClosedChannelException {
        if (closed) {
            throw new ClosedChannelException();
        }
        users++;
    }

    private synchronized void leave() {
        if (--users == 0 && closed) {
            notifyAll();
            closeDescriptor();
        }
    }

    /** Closes the descriptor once; guarded by {@code this}. */
    private void closeDescriptor() {
        if (!descriptorClosed) {
            descriptorClosed = true;
            Libc.close(fd);
        }
    }

    /** One read(2) or write(2) of {@code count} bytes at {@code memory}, retried when a signal interrupts it. */
    private long transfer(boolean write, NativeMemory memory, int count) throws IOException {
        long n;
        do {
            n = write ? Libc.write(fd, memory.address(), count) : Libc.read(fd, memory.address(), count);
        } while (n < 0 && Libc.errno() == Errno.EINTR && isOpen());
        if (n < 0) {
            throw closedOr(failure(write ? "write" : "read", Libc.errno()));
        }
        return n;
    }

    private IOException closedOr(IOException failure) {
        return isOpen() ? failure : new AsynchronousCloseException();
    }

    private static IOException failure(String call, int errno) {
        return new IOException(call + " failed: " + Errno.strerror(errno)
                + " (errno " + errno + ")");
    }
}
