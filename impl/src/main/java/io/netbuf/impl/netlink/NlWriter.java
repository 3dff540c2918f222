package io.netbuf.impl.netlink;

import java.nio.ByteBuffer;

/**
 * Writes netlink messages back to back into one buffer (native byte order, absolute puts):
 * {@code begin} a message, add its fixed header and attributes, {@code end} it, repeat for a
 * batch. Allocates nothing. Strings are written as ASCII with a terminating NUL; callers pass
 * only validated interface names and qdisc kinds.
 */
final class NlWriter {
    private final ByteBuffer buf;
    private int pos;
    private int messageStart = -1;

    /** @param buf the buffer to write into; its byte order must be the native one */
    NlWriter(ByteBuffer buf) {
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
        need(Nl.NLMSG_HDRLEN);
        messageStart = pos;
        buf.putInt(pos, 0);
        buf.putShort(pos + 4, (short) type);
        buf.putShort(pos + 6, (short) flags);
        buf.putInt(pos + 8, seq);
        buf.putInt(pos + 12, 0);
        pos += Nl.NLMSG_HDRLEN;
    }

    /** Ends the open message by writing its length. */
    void end() {
        if (messageStart < 0) {
            throw new IllegalStateException("no message begun");
        }
        buf.putInt(messageStart, pos - messageStart);
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
        need(Nl.TCMSG_LEN);
        buf.putInt(pos, 0); // family AF_UNSPEC + padding
        buf.putInt(pos + 4, ifindex);
        buf.putInt(pos + 8, handle);
        buf.putInt(pos + 12, parent);
        buf.putInt(pos + 16, info);
        pos += Nl.TCMSG_LEN;
    }

    /**
     * Writes a {@code struct ifinfomsg} (family AF_UNSPEC, type 0).
     *
     * @param index ifi_index
     * @param flags ifi_flags
     * @param change ifi_change
     */
    void ifinfomsg(int index, int flags, int change) {
        need(Nl.IFINFOMSG_LEN);
        buf.putInt(pos, 0);
        buf.putInt(pos + 4, index);
        buf.putInt(pos + 8, flags);
        buf.putInt(pos + 12, change);
        pos += Nl.IFINFOMSG_LEN;
    }

    /**
     * Writes a NUL-terminated ASCII string attribute.
     *
     * @param type the attribute type
     * @param value the string (ASCII)
     */
    void string(int type, String value) {
        int len = Nl.RTA_HDRLEN + value.length() + 1;
        need(Nl.align(len));
        header(len, type);
        for (int i = 0; i < value.length(); i++) {
            buf.put(pos + Nl.RTA_HDRLEN + i, (byte) value.charAt(i));
        }
        zero(pos + Nl.RTA_HDRLEN + value.length(), Nl.align(len) - len + 1);
        pos += Nl.align(len);
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
        int len = Nl.RTA_HDRLEN + 4 * words.length;
        need(len);
        header(len, type);
        for (int i = 0; i < words.length; i++) {
            buf.putInt(pos + Nl.RTA_HDRLEN + 4 * i, words[i]);
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
        need(Nl.RTA_HDRLEN);
        int start = pos;
        header(Nl.RTA_HDRLEN, type);
        pos += Nl.RTA_HDRLEN;
        return start;
    }

    /**
     * Closes a nested attribute.
     *
     * @param start the token {@link #nest(int)} returned
     */
    void endNest(int start) {
        buf.putShort(start, (short) (pos - start));
    }

    /**
     * Writes a {@code struct tc_u32_sel} with {@code TC_U32_TERMINAL} and one key that matches
     * every packet (mask 0, value 0, offset 0): u32's "match u32 0 0".
     */
    void u32MatchAll() {
        int len = Nl.RTA_HDRLEN + Nl.U32_SEL_ONE_KEY_LEN;
        need(len);
        header(len, Nl.TCA_U32_SEL);
        int p = pos + Nl.RTA_HDRLEN;
        zero(p, Nl.U32_SEL_ONE_KEY_LEN);
        buf.put(p, (byte) Nl.TC_U32_TERMINAL); // flags
        buf.put(p + 2, (byte) 1);              // nkeys; the key at p + 16 stays all zero
        pos += len;
    }

    /**
     * Writes a {@code struct tc_mirred} for an egress redirect that steals the packet.
     *
     * @param ifindex the target device
     */
    void mirredEgressRedirect(int ifindex) {
        int len = Nl.RTA_HDRLEN + Nl.TC_MIRRED_LEN;
        need(len);
        header(len, Nl.TCA_MIRRED_PARMS);
        int p = pos + Nl.RTA_HDRLEN;
        zero(p, Nl.TC_MIRRED_LEN);
        buf.putInt(p + 8, Nl.TC_ACT_STOLEN);     // tc_gen.action
        buf.putInt(p + 20, Nl.TCA_EGRESS_REDIR); // eaction
        buf.putInt(p + 24, ifindex);
        pos += len;
    }

    private void header(int len, int type) {
        buf.putShort(pos, (short) len);
        buf.putShort(pos + 2, (short) type);
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
