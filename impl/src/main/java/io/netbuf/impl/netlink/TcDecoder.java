package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_CHAIN;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_EGRESS_REDIR;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_MIRRED_PARMS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS2;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_BASIC;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_PKT64;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_QUEUE;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_ACT;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_SEL;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_INFO;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_KEY_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_KEY_MASK;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_SEL_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.U32_SEL_NKEYS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_HANDLE;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_IFINDEX;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_PARENT;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_EACTION;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_IFINDEX;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_LEN;

import io.netbuf.spi.Qdisc;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes the traffic-control replies of rtnetlink dumps: {@code RTM_NEWQDISC} (a {@code tcmsg},
 * {@code TCA_KIND} and the statistics) and {@code RTM_NEWTFILTER} of a u32 filter (its mirred
 * egress redirects). Every structure is read through the named field offsets below (linux
 * {@code gen_stats.h}, {@code pkt_sched.h}), every length checked before it is used.
 */
final class TcDecoder {
    // struct gnet_stats_basic {u64 bytes; u32 packets;} (TCA_STATS_BASIC, packed)
    static final int GNET_STATS_BASIC_BYTES = 0;
    static final int GNET_STATS_BASIC_PACKETS = 8;
    static final int GNET_STATS_BASIC_LEN = 12;
    // TCA_STATS_PKT64: u64 packets
    static final int STATS_PKT64_LEN = 8;
    // struct gnet_stats_queue {u32 qlen, backlog, drops, requeues, overlimits;}
    static final int GNET_STATS_QUEUE_QLEN = 0;
    static final int GNET_STATS_QUEUE_BACKLOG = 4;
    static final int GNET_STATS_QUEUE_DROPS = 8;
    static final int GNET_STATS_QUEUE_LEN = 20;
    // struct tc_stats {u64 bytes; u32 packets, drops, overlimits, bps, pps, qlen, backlog;} (TCA_STATS)
    static final int TC_STATS_BYTES = 0;
    static final int TC_STATS_PACKETS = 8;
    static final int TC_STATS_DROPS = 12;
    static final int TC_STATS_QLEN = 28;
    static final int TC_STATS_BACKLOG = 32;
    static final int TC_STATS_LEN = 36;

    private TcDecoder() {
    }

    /**
     * Parses an {@code RTM_NEWQDISC} of a dump.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @param ifindex the device wanted
     * @return the qdisc, or null for another device or message type
     */
    static Qdisc parseQdisc(ByteBuffer b, int off, int len, int ifindex) {
        int tcmsg = tcmsg(b, off, len, RTM_NEWQDISC, "RTM_NEWQDISC");
        if (tcmsg < 0 || b.getInt(tcmsg + TCMSG_IFINDEX) != ifindex) {
            return null;
        }
        return qdisc(b, off, len, tcmsg);
    }

    /**
     * A qdisc of an {@code RTM_NEWQDISC} dump of every device.
     *
     * @param ifindex the device's ifindex
     * @param qdisc the qdisc
     */
    record DeviceQdisc(int ifindex, Qdisc qdisc) {
    }

    /**
     * Parses an {@code RTM_NEWQDISC} of a dump, whatever its device.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @return the qdisc with its device's ifindex, or null for another message type
     */
    static DeviceQdisc parseAnyQdisc(ByteBuffer b, int off, int len) {
        int tcmsg = tcmsg(b, off, len, RTM_NEWQDISC, "RTM_NEWQDISC");
        return tcmsg < 0 ? null : new DeviceQdisc(b.getInt(tcmsg + TCMSG_IFINDEX), qdisc(b, off, len, tcmsg));
    }

    private static Qdisc qdisc(ByteBuffer b, int off, int len, int tcmsg) {
        int end = off + len;
        int handle = b.getInt(tcmsg + TCMSG_HANDLE);
        int parent = b.getInt(tcmsg + TCMSG_PARENT);
        int attrs = tcmsg + TCMSG_LEN;
        int kindAt = NetlinkReader.find(b, attrs, end, TCA_KIND);
        if (kindAt < 0) {
            throw new MalformedReplyException("RTM_NEWQDISC without TCA_KIND");
        }
        long sentBytes = 0;
        long sentPackets = 0;
        long backlogBytes = 0;
        long backlogPackets = 0;
        long drops = 0;
        int stats2 = NetlinkReader.find(b, attrs, end, TCA_STATS2);
        if (stats2 >= 0) {
            int from = NetlinkReader.payload(stats2);
            int to = NetlinkReader.payloadEnd(b, stats2);
            int basic = NetlinkReader.find(b, from, to, TCA_STATS_BASIC);
            if (basic >= 0) {
                NetlinkReader.requirePayload(b, basic, GNET_STATS_BASIC_LEN, "TCA_STATS_BASIC");
                int p = NetlinkReader.payload(basic);
                sentBytes = b.getLong(p + GNET_STATS_BASIC_BYTES);
                sentPackets = u32(b, p + GNET_STATS_BASIC_PACKETS);
            }
            int pkt64 = NetlinkReader.find(b, from, to, TCA_STATS_PKT64);
            if (pkt64 >= 0) {
                NetlinkReader.requirePayload(b, pkt64, STATS_PKT64_LEN, "TCA_STATS_PKT64");
                sentPackets = b.getLong(NetlinkReader.payload(pkt64));
            }
            int queue = NetlinkReader.find(b, from, to, TCA_STATS_QUEUE);
            if (queue >= 0) {
                NetlinkReader.requirePayload(b, queue, GNET_STATS_QUEUE_LEN, "TCA_STATS_QUEUE");
                int p = NetlinkReader.payload(queue);
                backlogPackets = u32(b, p + GNET_STATS_QUEUE_QLEN);
                backlogBytes = u32(b, p + GNET_STATS_QUEUE_BACKLOG);
                drops = u32(b, p + GNET_STATS_QUEUE_DROPS);
            }
        } else {
            int stats = NetlinkReader.find(b, attrs, end, TCA_STATS);
            if (stats >= 0) {
                NetlinkReader.requirePayload(b, stats, TC_STATS_LEN, "TCA_STATS");
                int p = NetlinkReader.payload(stats);
                sentBytes = b.getLong(p + TC_STATS_BYTES);
                sentPackets = u32(b, p + TC_STATS_PACKETS);
                drops = u32(b, p + TC_STATS_DROPS);
                backlogPackets = u32(b, p + TC_STATS_QLEN);
                backlogBytes = u32(b, p + TC_STATS_BACKLOG);
            }
        }
        return new Qdisc(NetlinkReader.string(b, kindAt), handle, parent, backlogBytes, backlogPackets, drops,
                sentBytes, sentPackets);
    }

    /**
     * A filter of an {@code RTM_NEWTFILTER} dump, its devices still ifindexes.
     *
     * @param kind the classifier
     * @param prio the priority
     * @param protocol the ethertype (host order)
     * @param chain the chain
     * @param handle the filter's handle
     * @param targets the ifindexes its mirred egress redirects send to (u32 only), in order
     * @param matchAllRedirect u32 with one match-all key and one action, a mirred egress redirect
     */
    record RawFilter(String kind, int prio, int protocol, int chain, int handle, int[] targets,
            boolean matchAllRedirect) {
    }

    /**
     * Parses an {@code RTM_NEWTFILTER} of a dump.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @return the filter, or null for another message type and for entries that are not filters (a
     *     priority's header, which has handle 0, and u32's hash tables, which have no selector)
     */
    static RawFilter parseFilter(ByteBuffer b, int off, int len) {
        int tcmsg = tcmsg(b, off, len, RTM_NEWTFILTER, "RTM_NEWTFILTER");
        if (tcmsg < 0) {
            return null;
        }
        int handle = b.getInt(tcmsg + TCMSG_HANDLE);
        int end = off + len;
        int attrs = tcmsg + TCMSG_LEN;
        int kindAt = NetlinkReader.find(b, attrs, end, TCA_KIND);
        if (handle == 0 || kindAt < 0) {
            return null;
        }
        int info = b.getInt(tcmsg + TCMSG_INFO);
        int prio = info >>> 16;
        int protocol = NetlinkConstants.htons(info & 0xFFFF);
        int chainAt = NetlinkReader.find(b, attrs, end, TCA_CHAIN);
        int chain = 0;
        if (chainAt >= 0) {
            NetlinkReader.requirePayload(b, chainAt, 4, "TCA_CHAIN");
            chain = b.getInt(NetlinkReader.payload(chainAt));
        }
        String kind = NetlinkReader.string(b, kindAt);
        int optionsAt = NetlinkReader.find(b, attrs, end, TCA_OPTIONS);
        if (!kind.equals("u32")) {
            return new RawFilter(kind, prio, protocol, chain, handle, new int[0], false);
        }
        int from = optionsAt < 0 ? 0 : NetlinkReader.payload(optionsAt);
        int to = optionsAt < 0 ? 0 : NetlinkReader.payloadEnd(b, optionsAt);
        int selAt = optionsAt < 0 ? -1 : NetlinkReader.find(b, from, to, TCA_U32_SEL);
        if (selAt < 0) {
            return null; // a u32 hash table: bookkeeping, it matches nothing itself
        }
        NetlinkReader.requirePayload(b, selAt, U32_SEL_LEN, "TCA_U32_SEL");
        int sel = NetlinkReader.payload(selAt);
        int nkeys = b.get(sel + U32_SEL_NKEYS) & 0xFF;
        boolean matchAll = nkeys == 1 && NetlinkReader.payloadLength(b, selAt) >= U32_SEL_LEN + U32_KEY_LEN
                && b.getInt(sel + U32_SEL_LEN + U32_KEY_MASK) == 0;
        List<Integer> targets = new ArrayList<>();
        int actions = u32Actions(b, optionsAt, targets);
        return new RawFilter(kind, prio, protocol, chain, handle, targets.stream().mapToInt(Integer::intValue).toArray(),
                matchAll && actions == 1 && targets.size() == 1);
    }

    /**
     * Reads the actions of a u32 filter's options.
     *
     * @param b the buffer
     * @param optionsAt its {@code TCA_OPTIONS}
     * @param targets receives the ifindex of each mirred egress redirect, in order
     * @return how many actions it has
     */
    private static int u32Actions(ByteBuffer b, int optionsAt, List<Integer> targets) {
        int actionsAt = NetlinkReader.find(b, NetlinkReader.payload(optionsAt), NetlinkReader.payloadEnd(b, optionsAt),
                TCA_U32_ACT);
        if (actionsAt < 0) {
            return 0;
        }
        int actions = 0;
        int actionsEnd = NetlinkReader.payloadEnd(b, actionsAt);
        for (int action = NetlinkReader.attr(b, NetlinkReader.payload(actionsAt), actionsEnd); action >= 0;
                action = NetlinkReader.nextAttr(b, action, actionsEnd)) {
            actions++;
            int target = mirredEgressRedirectTarget(b, action);
            if (target >= 0) {
                targets.add(target);
            }
        }
        return actions;
    }

    /**
     * Parses an {@code RTM_NEWTFILTER} of a dump for u32 filters' mirred egress redirects.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @return the target ifindexes of the filter's redirects, or null when it has none
     */
    static int[] parseRedirects(ByteBuffer b, int off, int len) {
        int tcmsg = tcmsg(b, off, len, RTM_NEWTFILTER, "RTM_NEWTFILTER");
        if (tcmsg < 0) {
            return null;
        }
        int end = off + len;
        int attrs = tcmsg + TCMSG_LEN;
        int kindAt = NetlinkReader.find(b, attrs, end, TCA_KIND);
        int optionsAt = NetlinkReader.find(b, attrs, end, TCA_OPTIONS);
        if (kindAt < 0 || optionsAt < 0 || !NetlinkReader.stringEquals(b, kindAt, "u32")) {
            return null;
        }
        List<Integer> targets = new ArrayList<>();
        u32Actions(b, optionsAt, targets);
        return targets.isEmpty() ? null : targets.stream().mapToInt(Integer::intValue).toArray();
    }

    /** @return the unsigned 32-bit field at {@code at} */
    private static long u32(ByteBuffer b, int at) {
        return Integer.toUnsignedLong(b.getInt(at));
    }

    /** @return the offset of the message's tcmsg, or -1 when the message is of another type than {@code type} */
    private static int tcmsg(ByteBuffer b, int off, int len, int type, String name) {
        if (NetlinkReader.type(b, off) != type) {
            return -1;
        }
        int tcmsg = off + NLMSG_HDRLEN;
        if (len - NLMSG_HDRLEN < TCMSG_LEN) {
            throw new MalformedReplyException(name + " of " + len + " bytes has no tcmsg");
        }
        return tcmsg;
    }

    /** @return the ifindex a mirred egress redirect action sends to, or -1 for any other action */
    private static int mirredEgressRedirectTarget(ByteBuffer b, int action) {
        int from = NetlinkReader.payload(action);
        int to = NetlinkReader.payloadEnd(b, action);
        int actKind = NetlinkReader.find(b, from, to, TCA_ACT_KIND);
        int actOptions = NetlinkReader.find(b, from, to, TCA_ACT_OPTIONS);
        if (actKind < 0 || actOptions < 0 || !NetlinkReader.stringEquals(b, actKind, "mirred")) {
            return -1;
        }
        int parms = NetlinkReader.find(b, NetlinkReader.payload(actOptions), NetlinkReader.payloadEnd(b, actOptions),
                TCA_MIRRED_PARMS);
        if (parms < 0) {
            return -1;
        }
        NetlinkReader.requirePayload(b, parms, TC_MIRRED_LEN, "TCA_MIRRED_PARMS");
        int p = NetlinkReader.payload(parms);
        return b.getInt(p + TC_MIRRED_EACTION) == TCA_EGRESS_REDIR ? b.getInt(p + TC_MIRRED_IFINDEX) : -1;
    }
}
