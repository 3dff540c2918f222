package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_DONE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_ERROR;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_NOOP;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_OVERRUN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_DUMP_INTR;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_REQUEST;

import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rtnetlink socket and the request/reply discipline on it: a sequence number per message,
 * acks matched by sequence number (late replies to an abandoned request are skipped), only
 * datagrams sent by the kernel itself ({@code nl_pid} 0) taken for replies, kernel
 * errors with their extended-ack text, bounded waits, and reusable buffers. Shared by
 * {@link NetlinkLinks} and {@link NetlinkTrafficControl}; thread-safe (one exchange at a time).
 *
 * <p>Open it with {@link #open()} in the current network namespace or with
 * {@link #open(String, Duration)} inside a named one; close it when done.
 */
public final class Rtnetlink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rtnetlink.class);
    /** Default longest wait for one reply from the kernel. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    static final int SEND_BUFFER_BYTES = 16 * 1024;
    /** The kernel sizes dump datagrams to at most 32 KiB; twice that never truncates. */
    static final int RECEIVE_BUFFER_BYTES = 64 * 1024;
    private static final int DUMP_ATTEMPTS = 3;
    /** The kernel's netlink port id: replies from any other are not replies. */
    private static final int KERNEL_PORT_ID = 0;

    private final NetlinkChannel channel;
    private final String namespace;
    private final long timeoutNanos;
    private final NetlinkWriter writer;
    private final ByteBuffer rx;
    private int nextSeq;
    private int firstSeq;
    private int count;
    private boolean[] acked = new boolean[16];
    private int[] errnos = new int[16];
    private String[] messages = new String[16];
    private boolean closed;

    Rtnetlink(NetlinkChannel channel, String namespace, Duration timeout) {
        this.channel = channel;
        this.namespace = namespace;
        this.timeoutNanos = timeout.toNanos();
        this.writer = new NetlinkWriter(channel.sendBuffer());
        this.rx = channel.receiveBuffer();
        this.nextSeq = (int) (System.nanoTime() & 0x3FFF_FFFF) + 1;
    }

    /**
     * Opens an rtnetlink socket in this process's network namespace.
     *
     * @return the socket
     * @throws OperationFailedException when it cannot be opened (not Linux, no JNA, no permission)
     */
    public static Rtnetlink open() {
        return open(null, DEFAULT_TIMEOUT);
    }

    /**
     * Opens an rtnetlink socket in a named network namespace ({@code /var/run/netns/NAME}, as
     * {@code ip netns add} creates), or in the current one.
     *
     * @param namespace the namespace name, or null for the current namespace
     * @param timeout the longest wait for one reply
     * @return the socket; every request on it acts inside that namespace
     * @throws OperationFailedException when it cannot be opened
     */
    public static Rtnetlink open(String namespace, Duration timeout) {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        NetlinkChannel channel = NativeNetlinkChannel.open(namespace, timeout, SEND_BUFFER_BYTES,
                RECEIVE_BUFFER_BYTES);
        LOG.debug("opened rtnetlink socket in {}", namespace == null ? "the current namespace" : namespace);
        return new Rtnetlink(channel, namespace, timeout);
    }

    /**
     * @return null when this JVM can open rtnetlink sockets, else why it cannot (not Linux, not
     *     64-bit, libc not bindable)
     */
    public static String unavailableReason() {
        return Libc.unavailableReason();
    }

    /** @return the network namespace the socket lives in, or null for the one this process started in */
    public String namespace() {
        return namespace;
    }

    /** Closes the socket; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            channel.close();
        }
    }

    /** Turns one reply message into a value. */
    interface Parser<T> {
        /**
         * @param b the receive buffer
         * @param off the message's offset
         * @param len its length
         * @return the value, or null to skip the message
         */
        T parse(ByteBuffer b, int off, int len);
    }

    // ---- building requests (callers hold this object's monitor until the exchange is over) ----

    /**
     * Starts a new request buffer with one message.
     *
     * @param type nlmsg_type
     * @param flags nlmsg_flags besides NLM_F_REQUEST
     * @return the writer, positioned after the message header
     */
    NetlinkWriter request(int type, int flags) {
        if (closed) {
            throw new IllegalStateException("rtnetlink socket is closed");
        }
        writer.reset();
        count = 0;
        firstSeq = nextSeq;
        return append(type, flags);
    }

    /**
     * Adds another message to the request buffer (the previous one must be ended).
     *
     * @param type nlmsg_type
     * @param flags nlmsg_flags besides NLM_F_REQUEST
     * @return the writer
     */
    NetlinkWriter append(int type, int flags) {
        writer.begin(type, flags | NLM_F_REQUEST, nextSeq++);
        count++;
        return writer;
    }

    /** @return bytes still free in the request buffer */
    int remaining() {
        return writer.remaining();
    }

    // ---- exchanges ----

    /**
     * Sends every message written (one datagram) and waits for one ack per message. Kernel
     * errors are recorded per message ({@link #errno(int)}, {@link #errorMessage(int)}), not
     * thrown; allocates nothing unless the kernel reports an error.
     *
     * @param operation what is being done, for a transport failure
     * @return the number of messages that failed
     * @throws OperationFailedException when sending fails, a reply is malformed, or no reply comes in time
     */
    int exchangeAcks(String operation) {
        ensureCapacity(count);
        for (int i = 0; i < count; i++) {
            acked[i] = false;
            errnos[i] = 0;
            messages[i] = null;
        }
        send(operation);
        int pending = count;
        int failed = 0;
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            while (pending > 0) {
                int end = receive(operation, deadline);
                int off = 0;
                while (off < end) {
                    int len = NetlinkReader.messageLength(rx, off, end);
                    if (NetlinkReader.type(rx, off) == NLMSG_ERROR) {
                        int index = NetlinkReader.seq(rx, off) - firstSeq;
                        if (index >= 0 && index < count && !acked[index]) {
                            acked[index] = true;
                            pending--;
                            int error = NetlinkReader.error(rx, off, len);
                            if (error != 0) {
                                failed++;
                                errnos[index] = -error;
                                String text = NetlinkReader.extackMessage(rx, off, len);
                                messages[index] = text != null ? text : Errno.describe(-error);
                            }
                        }
                    }
                    off = NetlinkReader.next(off, len);
                }
            }
        } catch (MalformedReplyException e) {
            throw malformed(operation, e);
        }
        return failed;
    }

    /**
     * @param index a message of the last exchange
     * @return its positive errno, or 0 when it succeeded
     */
    int errno(int index) {
        return errnos[index];
    }

    /**
     * @param index a message of the last exchange that failed
     * @return the kernel's extended-ack text, else the errno's name and description
     */
    String errorMessage(int index) {
        return messages[index];
    }

    /**
     * Sends the single message written and waits for its ack.
     *
     * @param operation what is being done
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @throws OperationFailedException when the kernel refuses or does not answer
     */
    void ack(String operation, String vif, String ifb) {
        if (exchangeAcks(operation) != 0) {
            throw OperationFailedException.ofErrno(operation, errnos[0], messages[0], vif, ifb);
        }
    }

    /**
     * Sends the single (non-dump) request written and returns the one reply parsed.
     *
     * @param operation what is being done
     * @param parser turns the reply into a value
     * @param absentErrno an errno that means "no such object" (answered with null), or 0
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @param <T> the value's type
     * @return the value, or null when the kernel answered {@code absentErrno}
     */
    <T> T get(String operation, Parser<T> parser, int absentErrno, String vif, String ifb) {
        send(operation);
        long deadline = System.nanoTime() + timeoutNanos;
        try {
            while (true) {
                int end = receive(operation, deadline);
                int off = 0;
                while (off < end) {
                    int len = NetlinkReader.messageLength(rx, off, end);
                    if (NetlinkReader.seq(rx, off) == firstSeq) {
                        int type = NetlinkReader.type(rx, off);
                        if (type == NLMSG_ERROR) {
                            int errno = -NetlinkReader.error(rx, off, len);
                            if (errno == 0) {
                                throw OperationFailedException.of(operation, "the kernel acked without a reply", vif,
                                        ifb, null);
                            }
                            if (errno == absentErrno) {
                                return null;
                            }
                            String text = NetlinkReader.extackMessage(rx, off, len);
                            throw OperationFailedException.ofErrno(operation, errno,
                                    text != null ? text : Errno.describe(errno), vif, ifb);
                        }
                        T value = parser.parse(rx, off, len);
                        if (value != null) {
                            return value;
                        }
                    }
                    off = NetlinkReader.next(off, len);
                }
            }
        } catch (MalformedReplyException e) {
            throw malformed(operation, e);
        }
    }

    /**
     * Sends the single dump request written and collects the parsed replies. A dump the kernel
     * flags as interrupted (the table changed meanwhile) is repeated.
     *
     * @param operation what is being done
     * @param parser turns each reply into a value (null skips it)
     * @param <T> the values' type
     * @return the values in the kernel's order
     */
    <T> List<T> dump(String operation, Parser<T> parser) {
        for (int attempt = 1; ; attempt++) {
            List<T> out = new ArrayList<>();
            if (dumpOnce(operation, parser, out)) {
                return out;
            }
            if (attempt == DUMP_ATTEMPTS) {
                throw OperationFailedException.of(operation, "the dump was interrupted " + DUMP_ATTEMPTS
                        + " times by concurrent changes", null, null, null);
            }
            firstSeq = nextSeq++;
            writer.buffer().putInt(8, firstSeq);
        }
    }

    private <T> boolean dumpOnce(String operation, Parser<T> parser, List<T> out) {
        send(operation);
        long deadline = System.nanoTime() + timeoutNanos;
        boolean consistent = true;
        try {
            while (true) {
                int end = receive(operation, deadline);
                int off = 0;
                while (off < end) {
                    int len = NetlinkReader.messageLength(rx, off, end);
                    if (NetlinkReader.seq(rx, off) == firstSeq) {
                        if ((NetlinkReader.flags(rx, off) & NLM_F_DUMP_INTR) != 0) {
                            consistent = false;
                        }
                        int type = NetlinkReader.type(rx, off);
                        if (type == NLMSG_DONE) {
                            return consistent;
                        }
                        if (type == NLMSG_ERROR) {
                            int errno = -NetlinkReader.error(rx, off, len);
                            String text = NetlinkReader.extackMessage(rx, off, len);
                            throw OperationFailedException.ofErrno(operation, errno,
                                    text != null ? text : Errno.describe(errno), null, null);
                        }
                        if (type != NLMSG_NOOP && type != NLMSG_OVERRUN) {
                            T value = parser.parse(rx, off, len);
                            if (value != null) {
                                out.add(value);
                            }
                        }
                    }
                    off = NetlinkReader.next(off, len);
                }
            }
        } catch (MalformedReplyException e) {
            throw malformed(operation, e);
        }
    }

    private void send(String operation) {
        if (closed) {
            throw new IllegalStateException("rtnetlink socket is closed");
        }
        int result = channel.send(writer.length());
        if (result < 0) {
            throw OperationFailedException.ofErrno(operation, -result, "sending the request failed: "
                    + Errno.describe(-result), null, null);
        }
    }

    /**
     * Receives the next datagram the kernel sent; datagrams from any other sender (a process that
     * knows this socket's port id) are dropped unread, within the same deadline.
     *
     * @return the length of the datagram received, never more than the buffer holds
     */
    private int receive(String operation, long deadline) {
        int ignored = 0;
        int n;
        while (true) {
            if (System.nanoTime() - deadline > 0) {
                throw timeout(operation, ignored);
            }
            n = channel.receive();
            if (n == -Errno.EAGAIN) {
                throw timeout(operation, ignored);
            }
            if (n < 0) {
                throw OperationFailedException.ofErrno(operation, -n, "receiving the reply failed: "
                        + Errno.describe(-n), null, null);
            }
            int sender = channel.senderPortId();
            if (sender == KERNEL_PORT_ID) {
                break;
            }
            ignored++;
            if (LOG.isWarnEnabled()) {
                LOG.warn("{}: ignored a {}-byte netlink datagram from port id {}, not the kernel", operation, n,
                        Integer.toUnsignedString(sender));
            }
        }
        if (n > rx.capacity()) {
            throw OperationFailedException.of(operation, "a " + n + "-byte reply exceeds the " + rx.capacity()
                    + "-byte receive buffer", null, null, null);
        }
        return n;
    }

    private OperationFailedException timeout(String operation, int ignored) {
        return OperationFailedException.of(operation, "no reply from the kernel within "
                + timeoutNanos / 1_000_000 + " ms" + (ignored == 0 ? "" : " (" + ignored
                + " datagrams from other senders than the kernel ignored)"), null, null, null);
    }

    private static OperationFailedException malformed(String operation, MalformedReplyException e) {
        return OperationFailedException.of(operation, "malformed reply from the kernel: " + e.getMessage(), null,
                null, e);
    }

    private void ensureCapacity(int n) {
        if (acked.length < n) {
            int size = Math.max(n, acked.length * 2);
            acked = Arrays.copyOf(acked, size);
            errnos = Arrays.copyOf(errnos, size);
            messages = Arrays.copyOf(messages, size);
        }
    }
}
