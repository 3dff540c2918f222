package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.IFINFOMSG_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_FLAGS_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_LEN_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_PID_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_SEQ_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_TYPE_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_LEN_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_TYPE_OFFSET;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_EGRESS_REDIR;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_MIRRED_PARMS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_SEL;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_HANDLE;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_IFINDEX;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_INFO;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_PARENT;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_ACT_STOLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_ACTION;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_EACTION;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_IFINDEX;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_U32_TERMINAL;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_SEL_FLAGS;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_SEL_NKEYS;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_SEL_ONE_KEY_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.align;

import java.nio.ByteBuffer;

/**
 * Writes netlink messages back to back into one buffer (native byte order, absolute puts):
 * {@code begin} a message, add its fixed header and attributes, {@code end} it, repeat for a
 * batch. Allocates nothing. Strings are written as ASCII with a terminating NUL; callers pass
 * only validated interface names and qdisc kinds.
 */
final class NetlinkWriter {
    private final ByteBuffer buf;
    private int pos;
    private int messageStart = -1;

    /** @param buf the buffer to write into; its byte order must be the native one */
    NetlinkWriter(ByteBuffer buf) {
        this.buf = buf;
    }

    /** Forgets everything written. */
    void reset() {
        pos = 0;
        messageStart = -1;
    }

    /** @return bytes written so far (all complete messages plus the open one) */
    int length() {
        return pos;
    }

    /** @return bytes still free */
    int remaining() {
        return buf.capacity() - pos;
    }

    /** @return the buffer written into */
    ByteBuffer buffer() {
        return buf;
    }

    /**
     * Starts a message.
     *
     * @param type nlmsg_type
     * @param flags nlmsg_flags
     * @param seq nlmsg_seq
     */
    void begin(int type, int flags, int seq) {
        if (messageStart >= 0) {
            throw new IllegalStateException("previous message not ended");
        }
        need(NLMSG_HDRLEN);
        messageStart = pos;
        buf.putInt(pos + NLMSG_LEN_OFFSET, 0);
        buf.putShort(pos + NLMSG_TYPE_OFFSET, (short) type);
        buf.putShort(pos + NLMSG_FLAGS_OFFSET, (short) flags);
        buf.putInt(pos + NLMSG_SEQ_OFFSET, seq);
        buf.putInt(pos + NLMSG_PID_OFFSET, 0);
        pos += NLMSG_HDRLEN;
    }

    /** Ends the open message by writing its length. */
    void end() {
        if (messageStart < 0) {
            throw new IllegalStateException("no message begun");
        }
        buf.putInt(messageStart + NLMSG_LEN_OFFSET, pos - messageStart);
        messageStart = -1;
    }

    /**
     * Writes a {@code struct tcmsg}.
     *
     * @param ifindex tcm_ifindex
     * @param handle tcm_handle
     * @param parent tcm_parent
     * @param info tcm_info
     */
    void tcmsg(int ifindex, int handle, int parent, int info) {
        need(TCMSG_LEN);
        buf.putInt(pos, 0); // family AF_UNSPEC + padding
        buf.putInt(pos + TCMSG_IFINDEX, ifindex);
        buf.putInt(pos + TCMSG_HANDLE, handle);
        buf.putInt(pos + TCMSG_PARENT, parent);
        buf.putInt(pos + TCMSG_INFO, info);
        pos += TCMSG_LEN;
    }

    /**
     * Writes a {@code struct ifinfomsg} (family AF_UNSPEC, type 0).
     *
     * @param index ifi_index
     * @param flags ifi_flags
     * @param change ifi_change
     */
    void ifinfomsg(int index, int flags, int change) {
        need(IFINFOMSG_LEN);
        buf.putInt(pos, 0);
        buf.putInt(pos + 4, index);
        buf.putInt(pos + 8, flags);
        buf.putInt(pos + 12, change);
        pos += IFINFOMSG_LEN;
    }

    /**
     * Writes a NUL-terminated ASCII string attribute.
     *
     * @param type the attribute type
     * @param value the string (ASCII)
     */
    void string(int type, String value) {
        int len = RTA_HDRLEN + value.length() + 1;
        need(align(len));
        header(len, type);
        for (int i = 0; i < value.length(); i++) {
            buf.put(pos + RTA_HDRLEN + i, (byte) value.charAt(i));
        }
        zero(pos + RTA_HDRLEN + value.length(), align(len) - len + 1);
        pos += align(len);
    }

    /**
     * Writes an 8-bit attribute (padded to 4-byte alignment).
     *
     * @param type the attribute type
     * @param value the value (0..255)
     */
    void u8(int type, int value) {
        need(8);
        header(5, type);
        buf.put(pos + 4, (byte) value);
        zero(pos + 5, 3);
        pos += 8;
    }

    /**
     * Writes a 32-bit attribute.
     *
     * @param type the attribute type
     * @param value the value
     */
    void u32(int type, int value) {
        need(8);
        header(8, type);
        buf.putInt(pos + 4, value);
        pos += 8;
    }

    /**
     * Writes an attribute carrying two 32-bit words (e.g. {@code struct tc_plug_qopt}).
     *
     * @param type the attribute type
     * @param first the first word
     * @param second the second word
     */
    void twoU32(int type, int first, int second) {
        need(12);
        header(12, type);
        buf.putInt(pos + 4, first);
        buf.putInt(pos + 8, second);
        pos += 12;
    }

    /**
     * Writes an attribute of 32-bit words.
     *
     * @param type the attribute type
     * @param words the payload
     */
    void words(int type, int[] words) {
        int len = RTA_HDRLEN + 4 * words.length;
        need(len);
        header(len, type);
        for (int i = 0; i < words.length; i++) {
            buf.putInt(pos + RTA_HDRLEN + 4 * i, words[i]);
        }
        pos += len;
    }

    /**
     * Opens a nested attribute.
     *
     * @param type the attribute type
     * @return the token to pass to {@link #endNest(int)}
     */
    int nest(int type) {
        need(RTA_HDRLEN);
        int start = pos;
        header(RTA_HDRLEN, type);
        pos += RTA_HDRLEN;
        return start;
    }

    /**
     * Closes a nested attribute.
     *
     * @param start the token {@link #nest(int)} returned
     */
    void endNest(int start) {
        buf.putShort(start + RTA_LEN_OFFSET, (short) (pos - start));
    }

    /**
     * Writes a {@code struct tc_u32_sel} with {@code TC_U32_TERMINAL} and one key that matches
     * every packet (mask 0, value 0, offset 0): u32's "match u32 0 0".
     */
    void u32MatchAll() {
        int len = RTA_HDRLEN + U32_SEL_ONE_KEY_LEN;
        need(len);
        header(len, TCA_U32_SEL);
        int p = pos + RTA_HDRLEN;
        zero(p, U32_SEL_ONE_KEY_LEN);
        buf.put(p + U32_SEL_FLAGS, (byte) TC_U32_TERMINAL);
        buf.put(p + U32_SEL_NKEYS, (byte) 1); // the one key after the selector stays all zero
        pos += len;
    }

    /**
     * Writes a {@code struct tc_mirred} for an egress redirect that steals the packet.
     *
     * @param ifindex the target device
     */
    void mirredEgressRedirect(int ifindex) {
        int len = RTA_HDRLEN + TC_MIRRED_LEN;
        need(len);
        header(len, TCA_MIRRED_PARMS);
        int p = pos + RTA_HDRLEN;
        zero(p, TC_MIRRED_LEN);
        buf.putInt(p + TC_MIRRED_ACTION, TC_ACT_STOLEN);
        buf.putInt(p + TC_MIRRED_EACTION, TCA_EGRESS_REDIR);
        buf.putInt(p + TC_MIRRED_IFINDEX, ifindex);
        pos += len;
    }

    private void header(int len, int type) {
        buf.putShort(pos + RTA_LEN_OFFSET, (short) len);
        buf.putShort(pos + RTA_TYPE_OFFSET, (short) type);
    }

    private void zero(int from, int count) {
        for (int i = 0; i < count; i++) {
            buf.put(from + i, (byte) 0);
        }
    }

    private void need(int bytes) {
        if (pos + bytes > buf.capacity()) {
            throw new IllegalStateException("netlink request exceeds the " + buf.capacity() + "-byte send buffer");
        }
    }
}
