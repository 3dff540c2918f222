package io.netbuf.impl.netlink;

import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import io.netbuf.impl.libc.NativeMemory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@code AF_NETLINK}/{@code NETLINK_ROUTE} socket with extended acks, capped acks and send and
 * receive timeouts, and two native buffers that are handed to the kernel by address.
 *
 * <p>The socket is connected to the kernel (port id 0): the kernel then refuses, with
 * {@code ECONNREFUSED}, a datagram any other socket sends to it, so every datagram received is
 * the kernel's and {@link #senderPortId()} is 0 without reading a sender address per receive.
 */
final class NativeNetlinkChannel implements NetlinkChannel {
    private static final Logger LOG = LoggerFactory.getLogger(NativeNetlinkChannel.class);
    private static final String NETNS_DIR = "/var/run/netns/";
    /** {@code sizeof(struct sockaddr_nl)}: {@code nl_family} (u16), pad (u16), {@code nl_pid} (u32), {@code nl_groups} (u32). */
    private static final int SOCKADDR_NL_LEN = 12;
    /** The kernel's netlink port id. */
    private static final int KERNEL_PORT_ID = 0;

    private final int fd;
    private final NativeMemory sendMemory;
    private final NativeMemory receiveMemory;
    private final long sendAddress;
    private final long receiveAddress;
    private final ByteBuffer sendBuffer;
    private final ByteBuffer receiveBuffer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private NativeNetlinkChannel(int fd, int sendSize, int receiveSize) {
        this.fd = fd;
        this.sendMemory = new NativeMemory(sendSize);
        this.receiveMemory = new NativeMemory(receiveSize);
        this.sendAddress = sendMemory.address();
        this.receiveAddress = receiveMemory.address();
        this.sendBuffer = sendMemory.buffer();
        this.receiveBuffer = receiveMemory.buffer();
    }

    /**
     * Opens a socket in this process's network namespace or in a named one.
     *
     * @param netns a namespace name under {@code /var/run/netns}, or null for the current one
     * @param timeout the send and receive timeout
     * @param sendSize bytes of the send buffer
     * @param receiveSize bytes of the receive buffer
     * @return the channel
     * @throws OperationFailedException when the socket cannot be opened or configured
     */
    static NativeNetlinkChannel open(String netns, Duration timeout, int sendSize, int receiveSize) {
        if (Libc.unavailableReason() != null) {
            throw OperationFailedException.of("open rtnetlink socket", Libc.unavailableReason(), null, null, null);
        }
        int fd = netns == null ? openSocket() : openSocketIn(netns);
        try {
            configure(fd, timeout);
            return new NativeNetlinkChannel(fd, sendSize, receiveSize);
        } catch (RuntimeException e) {
            Libc.close(fd);
            throw e;
        }
    }

    private static int openSocket() {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        if (fd < 0) {
            throw failure("open rtnetlink socket", "socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE)", Libc.errno());
        }
        return fd;
    }

    /*
     * A socket stays in the namespace it was created in, so a short-lived thread enters the
     * namespace, creates the socket and ends; no other code ever runs in that thread.
     */
    private static int openSocketIn(String netns) {
        if (netns.isEmpty() || netns.indexOf('/') >= 0 || netns.equals(".") || netns.equals("..")) {
            throw OperationFailedException.of("open rtnetlink socket", "bad network namespace name '" + netns + "'",
                    null, null, null);
        }
        String path = NETNS_DIR + netns;
        int nsfd = Libc.open(path, Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        if (nsfd < 0) {
            throw failure("open network namespace " + netns, "open " + path, Libc.errno());
        }
        try {
            int[] result = {-1, 0};
            Thread opener = new Thread(() -> {
                if (Libc.setns(nsfd, Libc.CLONE_NEWNET) != 0) {
                    result[1] = Libc.errno();
                    return;
                }
                int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
                result[fd < 0 ? 1 : 0] = fd < 0 ? Libc.errno() : fd;
            }, "netbuf-netns-" + netns);
            opener.setDaemon(true);
            opener.start();
            join(opener);
            if (result[0] < 0) {
                throw failure("open rtnetlink socket in namespace " + netns, "setns/socket", result[1]);
            }
            return result[0];
        } finally {
            Libc.close(nsfd);
        }
    }

    private static void join(Thread opener) {
        try {
            opener.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw OperationFailedException.of("open rtnetlink socket", "interrupted", null, null, e);
        }
        if (opener.isAlive()) {
            throw OperationFailedException.of("open rtnetlink socket", "namespace thread did not finish in 10 s",
                    null, null, null);
        }
    }

    private static void configure(int fd, Duration timeout) {
        try (NativeMemory scratch = new NativeMemory(16)) {
            long p = scratch.address();
            ByteBuffer b = scratch.buffer();
            b.putInt(0, 1);
            // Both are optional (older kernels lack them): without them errors still arrive.
            if (Libc.setsockopt(fd, Libc.SOL_NETLINK, Libc.NETLINK_EXT_ACK, p, 4) != 0) {
                LOG.debug("NETLINK_EXT_ACK not supported: {}", Errno.describe(Libc.errno()));
            }
            if (Libc.setsockopt(fd, Libc.SOL_NETLINK, Libc.NETLINK_CAP_ACK, p, 4) != 0) {
                LOG.debug("NETLINK_CAP_ACK not supported: {}", Errno.describe(Libc.errno()));
            }
            long micros = Math.max(1000, timeout.toNanos() / 1000);
            b.putLong(0, micros / 1_000_000);
            b.putLong(8, micros % 1_000_000);
            if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_RCVTIMEO, p, 16) != 0) {
                throw failure("configure rtnetlink socket", "setsockopt SO_RCVTIMEO", Libc.errno());
            }
            if (Libc.setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDTIMEO, p, 16) != 0) {
                throw failure("configure rtnetlink socket", "setsockopt SO_SNDTIMEO", Libc.errno());
            }
            // struct sockaddr_nl {sa_family_t nl_family; unsigned short pad; u32 nl_pid; u32 nl_groups}:
            // bound with nl_pid 0 (the kernel picks this socket's port id), then connected to port id 0.
            scratch.clear();
            b.putShort(0, (short) Libc.AF_NETLINK);
            if (Libc.bind(fd, p, SOCKADDR_NL_LEN) != 0) {
                throw failure("configure rtnetlink socket", "bind", Libc.errno());
            }
            b.putInt(4, KERNEL_PORT_ID);
            if (Libc.connect(fd, p, SOCKADDR_NL_LEN) != 0) {
                throw failure("configure rtnetlink socket", "connect to the kernel", Libc.errno());
            }
        }
    }

    private static OperationFailedException failure(String operation, String call, int errno) {
        return OperationFailedException.ofErrno(operation, errno, call + ": " + Errno.describe(errno), null, null);
    }

    @Override
    public ByteBuffer sendBuffer() {
        return sendBuffer;
    }

    @Override
    public ByteBuffer receiveBuffer() {
        return receiveBuffer;
    }

    @Override
    public int send(int length) {
        while (true) {
            long n = Libc.sendto(fd, sendAddress, length, 0, 0L, 0);
            if (n >= 0) {
                return 0;
            }
            int errno = Libc.errno();
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    @Override
    public int receive() {
        while (true) {
            long n = Libc.recvfrom(fd, receiveAddress, receiveBuffer.capacity(), Libc.MSG_TRUNC, 0L, 0L);
            if (n >= 0) {
                return (int) Math.min(n, Integer.MAX_VALUE);
            }
            int errno = Libc.errno();
            if (errno != Errno.EINTR) {
                return -errno;
            }
        }
    }

    /** @return 0: the socket is connected to the kernel, which delivers no other socket's datagrams to it */
    @Override
    public int senderPortId() {
        return KERNEL_PORT_ID;
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            Libc.close(fd);
            sendMemory.close();
            receiveMemory.close();
        }
    }
}
