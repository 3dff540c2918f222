package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.ETH_P_ALL;
import static io.netbuf.impl.netlink.NetlinkConstants.ETH_P_IP;
import static io.netbuf.impl.netlink.NetlinkConstants.IFF_UP;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_IFNAME;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_INFO_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_LINKINFO;
import static io.netbuf.impl.netlink.NetlinkConstants.INGRESS_HANDLE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSGERR_ATTR_MSG;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_ERROR;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK_TLVS;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CAPPED;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_MULTI;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_REQUEST;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_EGRESS_REDIR;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_MIRRED_PARMS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS2;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_BASIC;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_QUEUE;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_ACT;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_SEL;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_ACT_STOLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_H_ROOT;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_U32_TERMINAL;
import static io.netbuf.impl.netlink.NetlinkConstants.htons;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.impl.netlink.FakeChannel.Msg;
import io.netbuf.spi.Link;
import io.netbuf.spi.Qdisc;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Encoding of the requests netbuf sends and decoding of the replies it reads. */
class NetlinkCodecTest {
    private final ByteBuffer buf = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());
    private final NetlinkWriter w = new NetlinkWriter(buf);

    @Test
    void plugActionIsTheSixtyByteMessageOfFacts() {
        w.begin(RTM_NEWQDISC, NLM_F_REQUEST | NLM_F_ACK, 77);
        w.tcmsg(5, 0, TC_H_ROOT, 0);
        w.string(TCA_KIND, "plug");
        w.twoU32(TCA_OPTIONS, 1, 0);
        w.end();

        assertEquals(60, w.length());
        assertEquals(60, buf.getInt(0));
        assertEquals(36, buf.getShort(4));
        assertEquals(0x5, buf.getShort(6));
        assertEquals(77, buf.getInt(8));
        assertEquals(0, buf.getInt(12), "pid 0: the kernel");
        assertEquals(0, buf.getInt(16), "family and padding");
        assertEquals(5, buf.getInt(20));
        assertEquals(0, buf.getInt(24), "handle");
        assertEquals(0xFFFFFFFF, buf.getInt(28), "parent TC_H_ROOT");
        assertEquals(0, buf.getInt(32), "info");
        assertEquals(9, buf.getShort(36), "rta_len of \"plug\\0\"");
        assertEquals(TCA_KIND, buf.getShort(38));
        assertArrayEquals(new byte[] {'p', 'l', 'u', 'g', 0, 0, 0, 0}, bytes(40, 8), "NUL and zero padding");
        assertEquals(12, buf.getShort(48));
        assertEquals(TCA_OPTIONS, buf.getShort(50));
        assertEquals(1, buf.getInt(52), "action RELEASE_ONE");
        assertEquals(0, buf.getInt(56), "limit");
    }

    @Test
    void redirectFilterHasTheLayoutOfTcU32AndMirred() {
        w.begin(RTM_NEWTFILTER, NLM_F_REQUEST, 1);
        w.tcmsg(3, 0, INGRESS_HANDLE, (10 << 16) | htons(ETH_P_ALL));
        w.string(TCA_KIND, "u32");
        int options = w.nest(TCA_OPTIONS);
        w.u32MatchAll();
        int acts = w.nest(TCA_U32_ACT);
        int first = w.nest(1);
        w.string(TCA_ACT_KIND, "mirred");
        int mirred = w.nest(TCA_ACT_OPTIONS);
        w.mirredEgressRedirect(9);
        w.endNest(mirred);
        w.endNest(first);
        w.endNest(acts);
        w.endNest(options);
        w.end();

        // tcm_info: prio in the upper half, the ethertype in network order in the lower half
        assertArrayEquals(new byte[] {0, 3}, bytes(32 + (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0 : 2), 2));
        int end = buf.getInt(0);
        int opt = NetlinkReader.find(buf, 36, end, TCA_OPTIONS);
        assertEquals(end - opt, buf.getShort(opt), "TCA_OPTIONS closes the message");
        int sel = NetlinkReader.find(buf, NetlinkReader.payload(opt), NetlinkReader.payloadEnd(buf, opt), TCA_U32_SEL);
        assertEquals(4 + 16 + 16, buf.getShort(sel), "tc_u32_sel + one tc_u32_key");
        byte[] selector = bytes(sel + 4, 32);
        assertEquals(TC_U32_TERMINAL, selector[0], "flags");
        assertEquals(1, selector[2], "nkeys");
        for (int i = 3; i < 32; i++) {
            assertEquals(0, selector[i], "byte " + i + " of the selector (key mask/val/off/offmask 0)");
        }
        int act = NetlinkReader.find(buf, NetlinkReader.payload(opt), NetlinkReader.payloadEnd(buf, opt), TCA_U32_ACT);
        int one = NetlinkReader.find(buf, NetlinkReader.payload(act), NetlinkReader.payloadEnd(buf, act), 1);
        int kind = NetlinkReader.find(buf, NetlinkReader.payload(one), NetlinkReader.payloadEnd(buf, one),
                TCA_ACT_KIND);
        assertEquals("mirred", NetlinkReader.string(buf, kind));
        int aopt = NetlinkReader.find(buf, NetlinkReader.payload(one), NetlinkReader.payloadEnd(buf, one),
                TCA_ACT_OPTIONS);
        int parms = NetlinkReader.find(buf, NetlinkReader.payload(aopt), NetlinkReader.payloadEnd(buf, aopt),
                TCA_MIRRED_PARMS);
        assertEquals(4 + 28, buf.getShort(parms), "struct tc_mirred");
        int p = NetlinkReader.payload(parms);
        assertEquals(0, buf.getInt(p), "index: kernel picks");
        assertEquals(TC_ACT_STOLEN, buf.getInt(p + 8));
        assertEquals(TCA_EGRESS_REDIR, buf.getInt(p + 20));
        assertEquals(9, buf.getInt(p + 24));

        // what we send is what redirectTargets reads back from a dump
        buf.putShort(4, (short) RTM_NEWTFILTER);
        assertArrayEquals(new int[] {9}, TcDecoder.parseRedirects(buf, 0, end));
    }

    @Test
    void writerRefusesToOverrunItsBufferAndUnbalancedMessages() {
        NetlinkWriter small = new NetlinkWriter(ByteBuffer.allocate(24).order(ByteOrder.nativeOrder()));
        small.begin(RTM_GETLINK, 0, 1);
        assertThrows(IllegalStateException.class, () -> small.ifinfomsg(1, 0, 0));
        assertThrows(IllegalStateException.class, () -> small.begin(RTM_GETLINK, 0, 2));
        assertThrows(IllegalStateException.class, () -> w.end());
    }

    @Test
    void htonsSwapsOnLittleEndianHosts() {
        int expected = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? 0x0008 : 0x0800;
        assertEquals(expected, htons(ETH_P_IP));
    }

    @Test
    void readerRejectsLengthsOutsideTheirContainer() {
        ByteBuffer b = ByteBuffer.wrap(Msg.of(RTM_NEWLINK, 0, 1).i32(0).bytes()).order(ByteOrder.nativeOrder());
        assertEquals(20, NetlinkReader.messageLength(b, 0, 20));
        assertThrows(MalformedReplyException.class, () -> NetlinkReader.messageLength(b, 0, 19), "claims past the end");
        assertThrows(MalformedReplyException.class, () -> NetlinkReader.messageLength(b, 8, 20), "header cut short");
        b.putInt(0, 15);
        assertThrows(MalformedReplyException.class, () -> NetlinkReader.messageLength(b, 0, 20),
                "shorter than a header");
    }

    @Test
    void attributeWalkNeverLoopsOnZeroOrOversizedLengths() {
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        b.putShort(0, (short) 8).putShort(2, (short) 1).putShort(8, (short) 0).putShort(10, (short) 2);
        assertThrows(MalformedReplyException.class, () -> NetlinkReader.find(b, 0, 16, 2), "zero length");
        b.putShort(8, (short) 9);
        assertThrows(MalformedReplyException.class, () -> NetlinkReader.find(b, 0, 16, 2), "past the container");
        b.putShort(8, (short) 8);
        assertEquals(8, NetlinkReader.find(b, 0, 16, 2));
        assertEquals(-1, NetlinkReader.find(b, 0, 16, 3));
        assertEquals(-1, NetlinkReader.find(b, 0, 3, 1), "fewer than 4 bytes is no attribute");
    }

    @Test
    void extendedAckIsFoundAfterCappedAndFullEchoes() {
        ByteBuffer request = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
        request.putInt(0, 24).putInt(8, 5);
        byte[] capped = Msg.of(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 5).i32(-2).raw(request, 0, 16)
                .attr(NLMSGERR_ATTR_MSG, "capped text").bytes();
        assertEquals("capped text", extack(capped));
        byte[] full = Msg.of(NLMSG_ERROR, NLM_F_ACK_TLVS, 5).i32(-2).raw(request, 0, 24)
                .attrU32(2, 40).attr(NLMSGERR_ATTR_MSG, "full text").bytes();
        assertEquals("full text", extack(full));
        byte[] none = Msg.of(NLMSG_ERROR, NLM_F_CAPPED, 5).i32(-2).raw(request, 0, 16).bytes();
        assertNull(extack(none));
        byte[] lying = Msg.of(NLMSG_ERROR, NLM_F_ACK_TLVS, 5).i32(-2).raw(request, 0, 16).bytes();
        assertThrows(MalformedReplyException.class, () -> extack(lying), "echo claims 24 bytes, only 16 there");
    }

    @Test
    void linkIsDecodedWithKindAndUpFlag() {
        Msg m = Msg.of(RTM_NEWLINK, 0, 1).i32(0).i32(7).i32(IFF_UP | 0x1000).i32(0)
                .attr(IFLA_IFNAME, "ifb3");
        int info = m.nest(IFLA_LINKINFO);
        m.attr(IFLA_INFO_KIND, "ifb").end(info);
        ByteBuffer b = wrap(m.bytes());
        assertEquals(new Link("ifb3", 7, "ifb", true), NetlinkLinks.parse(b, 0, b.capacity()));

        ByteBuffer plain = wrap(Msg.of(RTM_NEWLINK, 0, 1).i32(0).i32(1).i32(0).i32(0).attr(IFLA_IFNAME, "lo")
                .bytes());
        assertEquals(new Link("lo", 1, "", false), NetlinkLinks.parse(plain, 0, plain.capacity()));

        ByteBuffer nameless = wrap(Msg.of(RTM_NEWLINK, 0, 1).i32(0).i32(1).i32(0).i32(0).bytes());
        assertThrows(MalformedReplyException.class, () -> NetlinkLinks.parse(nameless, 0, nameless.capacity()));
        ByteBuffer shortBody = wrap(Msg.of(RTM_NEWLINK, 0, 1).i32(0).bytes());
        assertThrows(MalformedReplyException.class, () -> NetlinkLinks.parse(shortBody, 0, shortBody.capacity()));
    }

    @Test
    void qdiscStatsComeFromStats2OrTheOldStruct() {
        Msg m = tcHeader(RTM_NEWQDISC, 4, 0x80010000, TC_H_ROOT).attr(TCA_KIND, "plug");
        int s2 = m.nest(TCA_STATS2);
        m.attrBytes(TCA_STATS_BASIC, le(16, 1500L, 3));
        m.attrBytes(TCA_STATS_QUEUE, le(20, 2, 3000, 5, 0, 0));
        m.end(s2);
        ByteBuffer b = wrap(m.bytes());
        assertEquals(new Qdisc("plug", 0x80010000, TC_H_ROOT, 3000, 2, 5, 1500, 3),
                TcDecoder.parseQdisc(b, 0, b.capacity(), 4));
        assertNull(TcDecoder.parseQdisc(b, 0, b.capacity(), 5), "another device");

        Msg old = tcHeader(RTM_NEWQDISC, 4, 0, TC_H_ROOT).attr(TCA_KIND, "pfifo_fast");
        old.attrBytes(TCA_STATS, le(36, 900L, 6, 1, 0, 0, 0, 4, 800));
        ByteBuffer o = wrap(old.bytes());
        Qdisc q = TcDecoder.parseQdisc(o, 0, o.capacity(), 4);
        assertEquals(new Qdisc("pfifo_fast", 0, TC_H_ROOT, 800, 4, 1, 900, 6), q);
        assertFalse(q.isExplicit());

        Msg shortStats = tcHeader(RTM_NEWQDISC, 4, 0, TC_H_ROOT).attr(TCA_KIND, "x");
        int s = shortStats.nest(TCA_STATS2);
        shortStats.attrBytes(TCA_STATS_QUEUE, new byte[8]).end(s);
        ByteBuffer bad = wrap(shortStats.bytes());
        assertThrows(MalformedReplyException.class, () -> TcDecoder.parseQdisc(bad, 0, bad.capacity(), 4));
    }

    @Test
    void redirectsAreReadOnlyFromU32MirredEgressRedirects() {
        Msg m = tcHeader(RTM_NEWTFILTER, 3, 0x800, INGRESS_HANDLE).attr(TCA_KIND, "u32");
        int opt = m.nest(TCA_OPTIONS);
        int acts = m.nest(TCA_U32_ACT);
        int a1 = m.nest(1);
        m.attr(TCA_ACT_KIND, "gact").end(a1);
        int a2 = m.nest(2);
        m.attr(TCA_ACT_KIND, "mirred");
        int o2 = m.nest(TCA_ACT_OPTIONS);
        m.attrBytes(TCA_MIRRED_PARMS, le(28, 1, 0, 4, 1, 1, 1, 11)).end(o2).end(a2);
        int a3 = m.nest(3);
        m.attr(TCA_ACT_KIND, "mirred");
        int o3 = m.nest(TCA_ACT_OPTIONS);
        m.attrBytes(TCA_MIRRED_PARMS, le(28, 2, 0, 3, 1, 1, 2 /* egress mirror */, 12)).end(o3).end(a3);
        m.end(acts).end(opt);
        ByteBuffer b = wrap(m.bytes());
        assertArrayEquals(new int[] {11}, TcDecoder.parseRedirects(b, 0, b.capacity()));

        ByteBuffer hashTable = wrap(tcHeader(RTM_NEWTFILTER, 3, 0x800, INGRESS_HANDLE).attr(TCA_KIND, "u32")
                .bytes());
        assertNull(TcDecoder.parseRedirects(hashTable, 0, hashTable.capacity()));
    }

    /** A u32 filter as the kernel dumps it: prio 10, protocol all, one key, the given actions. */
    private static ByteBuffer u32Filter(int handle, int keys, boolean redirect) {
        Msg m = Msg.of(RTM_NEWTFILTER, NLM_F_MULTI, 1).i32(0).i32(3).i32(handle).i32(INGRESS_HANDLE)
                .i32((10 << 16) | NetlinkConstants.htons(3)).attr(TCA_KIND, "u32");
        int opt = m.nest(TCA_OPTIONS);
        byte[] sel = new byte[16 + 16 * keys];
        sel[0] = 1; // TC_U32_TERMINAL
        sel[2] = (byte) keys;
        for (int k = 1; k < keys; k++) {
            sel[16 + 16 * k] = (byte) 0xFF; // a key with a mask: not match-all
        }
        m.attrBytes(NetlinkConstants.TCA_U32_SEL, sel);
        int acts = m.nest(TCA_U32_ACT);
        int a1 = m.nest(1);
        m.attr(TCA_ACT_KIND, "mirred");
        int o1 = m.nest(TCA_ACT_OPTIONS);
        m.attrBytes(TCA_MIRRED_PARMS, le(28, 1, 0, 4, 1, 1, redirect ? 1 : 2, 11)).end(o1).end(a1);
        m.end(acts).end(opt);
        return wrap(m.bytes());
    }

    @Test
    void filtersAreDecodedWithTheirPriorityProtocolHandleAndShape() {
        ByteBuffer ours = u32Filter(0x80100800, 1, true);
        TcDecoder.RawFilter f = TcDecoder.parseFilter(ours, 0, ours.capacity());
        assertEquals("u32", f.kind());
        assertEquals(10, f.prio());
        assertEquals(3, f.protocol());
        assertEquals(0, f.chain());
        assertEquals(0x80100800, f.handle());
        assertArrayEquals(new int[] {11}, f.targets());
        assertTrue(f.matchAllRedirect());

        ByteBuffer twoKeys = u32Filter(0x80100800, 2, true);
        assertFalse(TcDecoder.parseFilter(twoKeys, 0, twoKeys.capacity()).matchAllRedirect(), "not match-all");
        ByteBuffer mirror = u32Filter(0x80100800, 1, false);
        TcDecoder.RawFilter m = TcDecoder.parseFilter(mirror, 0, mirror.capacity());
        assertFalse(m.matchAllRedirect(), "a mirror is not a redirect");
        assertArrayEquals(new int[0], m.targets());

        ByteBuffer header = u32Filter(0, 1, true);
        assertNull(TcDecoder.parseFilter(header, 0, header.capacity()), "a priority's header is not a filter");
        ByteBuffer hashTable = wrap(tcHeader(RTM_NEWTFILTER, 3, 0x80000000, INGRESS_HANDLE).attr(TCA_KIND, "u32")
                .bytes());
        assertNull(TcDecoder.parseFilter(hashTable, 0, hashTable.capacity()), "a u32 hash table is not a filter");
    }

    private static Msg tcHeader(int type, int ifindex, int handle, int parent) {
        return Msg.of(type, NLM_F_MULTI, 1).i32(0).i32(ifindex).i32(handle).i32(parent).i32(0);
    }

    /** A struct of {@code size} bytes in native order: each Long is a u64 field, each Integer a u32. */
    private static byte[] le(int size, Object... words) {
        ByteBuffer out = ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
        for (Object word : words) {
            if (word instanceof Long) {
                out.putLong((Long) word);
            } else {
                out.putInt((Integer) word);
            }
        }
        return out.array();
    }

    private static String extack(byte[] msg) {
        ByteBuffer b = wrap(msg);
        return NetlinkReader.extackMessage(b, 0, b.capacity());
    }

    private static ByteBuffer wrap(byte[] bytes) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
    }

    private byte[] bytes(int from, int n) {
        byte[] out = new byte[n];
        buf.get(from, out);
        return out;
    }
}
