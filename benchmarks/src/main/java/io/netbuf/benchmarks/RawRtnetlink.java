package io.netbuf.benchmarks;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The baseline of the netlink benchmark: the least code that can send one prepared rtnetlink
 * message and read its ack, over the same kind of socket the native backend uses (AF_NETLINK,
 * NETLINK_ROUTE, opened inside a network namespace, JNA direct mapping, receive timeout).
 */
final class RawRtnetlink implements AutoCloseable {
    static {
        Native.register(RawRtnetlink.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
    }

    private static native int socket(int domain, int type, int protocol);

    private static native int setsockopt(int fd, int level, int name, long value, int len);

    private static native int open(String path, int flags);

    private static native int setns(int fd, int nstype);

    private static native long send(int fd, long buf, long len, int flags);

    private static native long recv(int fd, long buf, long len, int flags);

    private static native int close(int fd);

    private final int fd;
    private final Memory tx = new Memory(4096);
    private final Memory rx = new Memory(8192);
    private final long txAddress = Pointer.nativeValue(tx);
    private final long rxAddress = Pointer.nativeValue(rx);
    private final ByteBuffer txBuffer = tx.getByteBuffer(0, 4096).order(ByteOrder.nativeOrder());
    private int length;

    /**
     * @param namespace the network namespace ({@code /var/run/netns/NAME}) to open the socket in
     */
    RawRtnetlink(String namespace) {
        int nsfd = open("/var/run/netns/" + namespace, 0x80000 /* O_RDONLY | O_CLOEXEC */);
        if (nsfd < 0) {
            throw new IllegalStateException("open netns " + namespace + ": errno " + Native.getLastError());
        }
        int[] result = {-1};
        Thread t = new Thread(() -> {
            if (setns(nsfd, 0x40000000 /* CLONE_NEWNET */) == 0) {
                result[0] = socket(16 /* AF_NETLINK */, 3 | 0x80000 /* SOCK_RAW | SOCK_CLOEXEC */, 0);
            }
        });
        t.start();
        try {
            t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close(nsfd);
        if (result[0] < 0) {
            throw new IllegalStateException("could not open a netlink socket in " + namespace);
        }
        fd = result[0];
        try (Memory option = new Memory(16)) {
            long p = Pointer.nativeValue(option);
            option.setInt(0, 1);
            setsockopt(fd, 270 /* SOL_NETLINK */, 11 /* NETLINK_EXT_ACK */, p, 4);
            setsockopt(fd, 270 /* SOL_NETLINK */, 10 /* NETLINK_CAP_ACK */, p, 4);
            option.setLong(0, 5);
            option.setLong(8, 0);
            setsockopt(fd, 1 /* SOL_SOCKET */, 20 /* SO_RCVTIMEO */, p, 16);
        }
    }

    /** @return the buffer to write the message into (native byte order) */
    ByteBuffer message() {
        return txBuffer;
    }

    /** @param length the length of the message written */
    void prepared(int length) {
        this.length = length;
    }

    /**
     * Sends the prepared message and reads one reply.
     *
     * @return the error field of the ack (0 for success)
     */
    int roundTrip() {
        if (send(fd, txAddress, length, 0) < 0) {
            throw new IllegalStateException("send: errno " + Native.getLastError());
        }
        if (recv(fd, rxAddress, 8192, 0) < 0) {
            throw new IllegalStateException("recv: errno " + Native.getLastError());
        }
        return rx.getInt(16);
    }

    @Override
    public void close() {
        close(fd);
        tx.close();
        rx.close();
    }
}
