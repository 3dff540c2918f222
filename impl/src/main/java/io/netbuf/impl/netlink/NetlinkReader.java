package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.NLA_TYPE_MASK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSGERR_ATTR_MSG;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSGERR_ERROR_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSGERR_MSG_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_FLAGS_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_LEN_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_SEQ_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_TYPE_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK_TLVS;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CAPPED;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_LEN_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_TYPE_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.align;

import java.nio.ByteBuffer;

/**
 * Reads netlink messages and attributes from a buffer (native byte order, absolute gets). Every
 * length is checked against its container before it is used, so a malformed reply raises
 * {@link MalformedReplyException} instead of reading out of bounds, looping or allocating
 * according to what the reply claims. Allocates nothing except the strings it returns.
 */
final class NetlinkReader {
    private NetlinkReader() {
    }

    /**
     * @param b the buffer
     * @param off where a message starts
     * @param end where the datagram ends
     * @return the message's length, checked to lie within {@code [16, end - off]}
     */
    static int messageLength(ByteBuffer b, int off, int end) {
        if (end - off < NLMSG_HDRLEN) {
            throw new MalformedReplyException("truncated netlink header: " + (end - off) + " bytes left");
        }
        int len = b.getInt(off + NLMSG_LEN_OFFSET);
        if (len < NLMSG_HDRLEN || len > end - off) {
            throw new MalformedReplyException("netlink message length " + Integer.toUnsignedString(len)
                    + " outside [16, " + (end - off) + "]");
        }
        return len;
    }

    /**
     * @param off a message's offset
     * @param len its length
     * @return the offset of the next message (aligned), at most where the datagram ends
     */
    static int next(int off, int len) {
        return off + align(len);
    }

    static int type(ByteBuffer b, int off) {
        return b.getShort(off + NLMSG_TYPE_OFFSET) & 0xFFFF;
    }

    static int flags(ByteBuffer b, int off) {
        return b.getShort(off + NLMSG_FLAGS_OFFSET) & 0xFFFF;
    }

    static int seq(ByteBuffer b, int off) {
        return b.getInt(off + NLMSG_SEQ_OFFSET);
    }

    /**
     * @param b the buffer
     * @param off an NLMSG_ERROR message
     * @param len its length
     * @return the error field: 0 for an ack, else a negative errno
     */
    static int error(ByteBuffer b, int off, int len) {
        if (len < NLMSG_HDRLEN + 4) {
            throw new MalformedReplyException("netlink error message of " + len + " bytes has no error code");
        }
        return b.getInt(off + NLMSGERR_ERROR_OFFSET);
    }

    /**
     * Finds an attribute among those in {@code [start, end)}.
     *
     * @param b the buffer
     * @param start the first attribute
     * @param end where the attributes end
     * @param type the type wanted (flag bits ignored)
     * @return the offset of its header, or -1
     */
    static int find(ByteBuffer b, int start, int end, int type) {
        for (int at = attr(b, start, end); at >= 0; at = nextAttr(b, at, end)) {
            if (attrType(b, at) == type) {
                return at;
            }
        }
        return -1;
    }

    /**
     * Validates the attribute at {@code at}, for walking every attribute of a container:
     * {@code for (int a = attr(b, start, end); a >= 0; a = attr(b, a + align(len), end))}.
     *
     * @param b the buffer
     * @param at where an attribute may start
     * @param end where the container ends
     * @return {@code at}, or -1 when fewer than 4 bytes remain
     */
    static int attr(ByteBuffer b, int at, int end) {
        if (end - at < RTA_HDRLEN) {
            return -1;
        }
        int len = rtaLen(b, at);
        if (len < RTA_HDRLEN || len > end - at) {
            throw new MalformedReplyException("attribute length " + len + " outside [4, " + (end - at) + "]");
        }
        return at;
    }

    /**
     * @param b the buffer
     * @param at a validated attribute
     * @param end where its container ends
     * @return the next attribute, validated, or -1
     */
    static int nextAttr(ByteBuffer b, int at, int end) {
        return attr(b, at + align(rtaLen(b, at)), end);
    }

    /** @return the attribute's type without flag bits */
    static int attrType(ByteBuffer b, int at) {
        return b.getShort(at + RTA_TYPE_OFFSET) & NLA_TYPE_MASK;
    }

    /** @return the attribute's payload offset */
    static int payload(int at) {
        return at + RTA_HDRLEN;
    }

    /** @return the attribute's payload end (exclusive) */
    static int payloadEnd(ByteBuffer b, int at) {
        return at + rtaLen(b, at);
    }

    /** @return the attribute's payload length */
    static int payloadLength(ByteBuffer b, int at) {
        return rtaLen(b, at) - RTA_HDRLEN;
    }

    /**
     * @param b the buffer
     * @param at an attribute of at least {@code min} payload bytes
     * @param min the size the caller will read
     * @param what the attribute, for the error
     */
    static void requirePayload(ByteBuffer b, int at, int min, String what) {
        if (payloadLength(b, at) < min) {
            throw new MalformedReplyException(what + " has " + payloadLength(b, at) + " bytes, needs " + min);
        }
    }

    /**
     * @param b the buffer
     * @param at a string attribute
     * @return its ASCII text up to the first NUL or the payload's end
     */
    static String string(ByteBuffer b, int at) {
        int from = payload(at);
        int end = payloadEnd(b, at);
        StringBuilder out = new StringBuilder(end - from);
        for (int i = from; i < end; i++) {
            byte c = b.get(i);
            if (c == 0) {
                break;
            }
            out.append((char) (c & 0xFF));
        }
        return out.toString();
    }

    /**
     * Compares a string attribute with an ASCII string without allocating.
     *
     * @param b the buffer
     * @param at a string attribute
     * @param expected the text
     * @return whether the attribute holds exactly that text
     */
    static boolean stringEquals(ByteBuffer b, int at, String expected) {
        int from = payload(at);
        int end = payloadEnd(b, at);
        int n = expected.length();
        if (end - from < n) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (b.get(from + i) != (byte) expected.charAt(i)) {
                return false;
            }
        }
        return end - from == n || b.get(from + n) == 0;
    }

    /**
     * The kernel's extended-ack text of an NLMSG_ERROR, if it sent one.
     *
     * @param b the buffer
     * @param off the NLMSG_ERROR message
     * @param len its length
     * @return the message, or null
     */
    static String extackMessage(ByteBuffer b, int off, int len) {
        int flags = flags(b, off);
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return null;
        }
        int end = off + len;
        int echoed = off + NLMSGERR_MSG_OFFSET;
        int tlvs;
        if ((flags & NLM_F_CAPPED) != 0) {
            tlvs = echoed + NLMSG_HDRLEN;
        } else {
            int echoedLen = messageLength(b, echoed, end);
            tlvs = echoed + align(echoedLen);
        }
        if (tlvs > end) {
            throw new MalformedReplyException("extended ack starts past the end of its message");
        }
        int at = find(b, tlvs, end, NLMSGERR_ATTR_MSG);
        if (at < 0) {
            return null;
        }
        String text = string(b, at).strip();
        return text.isEmpty() ? null : text;
    }

    /** @return the attribute's rta_len, header included */
    private static int rtaLen(ByteBuffer b, int at) {
        return b.getShort(at + RTA_LEN_OFFSET) & 0xFFFF;
    }
}
