package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.NLMSGERR_ATTR_MSG;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_ERROR;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK_TLVS;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CAPPED;
import static io.netbuf.impl.netlink.NetlinkConstants.align;

import io.netbuf.impl.libc.Errno;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.Function;

/**
 * A scripted stand-in for the kernel's end of the socket: every datagram sent is recorded and
 * handed to a responder whose replies are queued; a receive with nothing queued answers
 * {@code -EAGAIN} at once, as a socket whose receive timeout ran out.
 */
final class FakeChannel implements NetlinkChannel {
    private final ByteBuffer send = ByteBuffer.allocate(Rtnetlink.SEND_BUFFER_BYTES).order(ByteOrder.nativeOrder());
    private final ByteBuffer receive;
    private final Deque<byte[]> queued = new ArrayDeque<>();
    /** The sender's port id of each queued datagram, in the same order (0: the kernel). */
    private final Deque<Integer> senders = new ArrayDeque<>();
    private final Function<ByteBuffer, List<byte[]>> responder;
    final List<ByteBuffer> sent = new ArrayList<>();
    int receives;
    private int lastSender = -1;
    /**
     * When set, another socket (port id {@link #impostorPortId}) answers every request too, its
     * datagrams arriving before the kernel's.
     */
    Function<ByteBuffer, List<byte[]>> impostor;
    int impostorPortId = 4242;
    boolean closed;
    /** When set, the next receive reports this length (e.g. larger than the buffer) with no data. */
    int nextReportedLength = -1;

    FakeChannel(int receiveSize, Function<ByteBuffer, List<byte[]>> responder) {
        this.receive = ByteBuffer.allocate(receiveSize).order(ByteOrder.nativeOrder());
        this.responder = responder;
    }

    FakeChannel(Function<ByteBuffer, List<byte[]>> responder) {
        this(Rtnetlink.RECEIVE_BUFFER_BYTES, responder);
    }

    /** Queues a datagram from the kernel regardless of what is sent. */
    void queue(byte[] datagram) {
        queueFrom(0, datagram);
    }

    /** Queues a datagram from the socket with port id {@code portId} regardless of what is sent. */
    void queueFrom(int portId, byte[] datagram) {
        queued.add(datagram);
        senders.add(portId);
    }

    @Override
    public ByteBuffer sendBuffer() {
        return send;
    }

    @Override
    public ByteBuffer receiveBuffer() {
        return receive;
    }

    @Override
    public int send(int length) {
        ByteBuffer copy = ByteBuffer.allocate(length).order(ByteOrder.nativeOrder());
        for (int i = 0; i < length; i++) {
            copy.put(i, send.get(i));
        }
        sent.add(copy);
        if (impostor != null) {
            impostor.apply(copy).forEach(d -> queueFrom(impostorPortId, d));
        }
        responder.apply(copy).forEach(this::queue);
        return 0;
    }

    @Override
    public int senderPortId() {
        return lastSender;
    }

    @Override
    public int receive() {
        receives++;
        if (nextReportedLength >= 0) {
            int n = nextReportedLength;
            nextReportedLength = -1;
            lastSender = 0;
            return n;
        }
        byte[] next = queued.poll();
        if (next == null) {
            return -Errno.EAGAIN;
        }
        lastSender = senders.poll();
        int n = Math.min(next.length, receive.capacity());
        for (int i = 0; i < n; i++) {
            receive.put(i, next[i]);
        }
        return next.length;
    }

    @Override
    public void close() {
        closed = true;
    }

    // ---- building replies ----

    /** @return the messages of a request datagram, as [offset, length] pairs */
    static List<int[]> messages(ByteBuffer datagram) {
        List<int[]> out = new ArrayList<>();
        int off = 0;
        while (off < datagram.capacity()) {
            int len = datagram.getInt(off);
            out.add(new int[] {off, len});
            off += align(len);
        }
        return out;
    }

    /** An NLMSG_ERROR answering the message at {@code off} of {@code request} (error 0 = ack). */
    static byte[] ack(ByteBuffer request, int off, int error, String extack) {
        return Msg.of(NLMSG_ERROR, extack == null ? NLM_F_CAPPED : NLM_F_CAPPED | NLM_F_ACK_TLVS,
                request.getInt(off + 8)).i32(error).raw(request, off, NLMSG_HDRLEN)
                .attr(NLMSGERR_ATTR_MSG, extack).bytes();
    }

    /** A message builder for replies (native byte order). */
    static final class Msg {
        private final ByteBuffer b = ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder());

        static Msg of(int type, int flags, int seq) {
            Msg m = new Msg();
            m.b.putInt(0).putShort((short) type).putShort((short) flags).putInt(seq).putInt(4242);
            return m;
        }

        Msg i32(int v) {
            b.putInt(v);
            return this;
        }

        Msg raw(ByteBuffer from, int off, int len) {
            for (int i = 0; i < len; i++) {
                b.put(from.get(off + i));
            }
            return this;
        }

        Msg attr(int type, String text) {
            if (text == null) {
                return this;
            }
            byte[] s = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            b.putShort((short) (4 + s.length + 1)).putShort((short) type).put(s).put((byte) 0);
            pad();
            return this;
        }

        Msg attrU32(int type, int v) {
            b.putShort((short) 8).putShort((short) type).putInt(v);
            return this;
        }

        Msg attrBytes(int type, byte[] payload) {
            b.putShort((short) (4 + payload.length)).putShort((short) type).put(payload);
            pad();
            return this;
        }

        int nest(int type) {
            int at = b.position();
            b.putShort((short) 0).putShort((short) type);
            return at;
        }

        Msg end(int at) {
            b.putShort(at, (short) (b.position() - at));
            return this;
        }

        private void pad() {
            while (b.position() % 4 != 0) {
                b.put((byte) 0);
            }
        }

        byte[] bytes() {
            b.putInt(0, b.position());
            byte[] out = new byte[b.position()];
            b.get(0, out);
            return out;
        }
    }

    /** Concatenates messages into one datagram. */
    static byte[] datagram(byte[]... messages) {
        int n = 0;
        for (byte[] m : messages) {
            n += m.length;
        }
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] m : messages) {
            out.put(m);
        }
        return out.array();
    }
}
