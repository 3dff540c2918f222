package io.netbuf.benchmarks;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The baseline of the netlink benchmarks: the least code that can send a prepared datagram of
 * rtnetlink messages and read their acks, over the same kind of socket the native backend uses
 * (AF_NETLINK, NETLINK_ROUTE, opened inside a network namespace, JNA direct mapping, extended and
 * capped acks, receive timeout).
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
    private final Memory rx = new Memory(8192);
    private final long rxAddress = Pointer.nativeValue(rx);

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

    /**
     * Prepares one datagram holding, for each ifindex, the root qdisc change the library sends for
     * a plug action: {@code RTM_NEWQDISC}, REQUEST|ACK, parent root, {@code TCA_KIND kind},
     * {@code TCA_OPTIONS options}.
     *
     * @param ifindexes the devices, in order
     * @param kind the root qdisc's kind ({@code plug}, or {@code pfifo} for the stand-in)
     * @param options the options struct as 32-bit words ({@code {action, limit}} for a plug)
     * @return the prepared datagram
     */
    static Prepared rootChange(int[] ifindexes, String kind, int[] options) {
        int kindAttr = (4 + kind.length() + 1 + 3) & ~3;
        int each = 16 + 20 + kindAttr + 4 + 4 * options.length;
        Memory m = new Memory((long) each * ifindexes.length);
        m.clear();
        ByteBuffer b = m.getByteBuffer(0, m.size()).order(ByteOrder.nativeOrder());
        for (int i = 0; i < ifindexes.length; i++) {
            int o = i * each;
            b.putInt(o, each).putShort(o + 4, (short) 36 /* RTM_NEWQDISC */).putShort(o + 6, (short) 0x5)
                    .putInt(o + 8, i + 1).putInt(o + 12, 0);
            b.putInt(o + 16, 0).putInt(o + 20, ifindexes[i]).putInt(o + 24, 0).putInt(o + 28, 0xFFFFFFFF)
                    .putInt(o + 32, 0);
            b.putShort(o + 36, (short) (4 + kind.length() + 1)).putShort(o + 38, (short) 1 /* TCA_KIND */);
            for (int c = 0; c < kind.length(); c++) {
                b.put(o + 40 + c, (byte) kind.charAt(c));
            }
            int opt = o + 36 + kindAttr;
            b.putShort(opt, (short) (4 + 4 * options.length)).putShort(opt + 2, (short) 2 /* TCA_OPTIONS */);
            for (int w = 0; w < options.length; w++) {
                b.putInt(opt + 4 + 4 * w, options[w]);
            }
        }
        return new Prepared(m, ifindexes.length);
    }

    /** A datagram of messages ready to send, with the number of acks it asks for. */
    static final class Prepared {
        private final Memory memory;
        private final long address;
        private final long length;
        private final int messages;

        private Prepared(Memory memory, int messages) {
            this.memory = memory;
            this.address = Pointer.nativeValue(memory);
            this.length = memory.size();
            this.messages = messages;
        }
    }

    /**
     * Sends the prepared datagram and reads replies until every message is acked.
     *
     * @param p the datagram
     * @return the first non-zero error field of the acks (0 when all succeeded)
     */
    int exchange(Prepared p) {
        if (send(fd, p.address, p.length, 0) < 0) {
            throw new IllegalStateException("send: errno " + Native.getLastError());
        }
        int acks = 0;
        int error = 0;
        while (acks < p.messages) {
            long n = recv(fd, rxAddress, 8192, 0);
            if (n < 0) {
                throw new IllegalStateException("recv: errno " + Native.getLastError());
            }
            int off = 0;
            while (off + 20 <= n) {
                int len = rx.getInt(off);
                if (len < 20) {
                    break;
                }
                if (rx.getShort(off + 4) == 2 /* NLMSG_ERROR */) {
                    acks++;
                    int e = rx.getInt(off + 16);
                    if (error == 0) {
                        error = e;
                    }
                }
                off += (len + 3) & ~3;
            }
        }
        return error;
    }

    /**
     * Releases a prepared datagram.
     *
     * @param p the datagram
     */
    static void free(Prepared p) {
        p.memory.close();
    }

    @Override
    public void close() {
        close(fd);
        rx.close();
    }
}
