package io.netbuf.impl.netlink;

/**
 * Numbers of the rtnetlink protocol (linux/netlink.h, rtnetlink.h, if_link.h, pkt_sched.h,
 * pkt_cls.h, tc_act/tc_mirred.h) and of the structures netbuf exchanges with the kernel.
 */
final class NetlinkConstants {
    // struct nlmsghdr {u32 nlmsg_len; u16 nlmsg_type, nlmsg_flags; u32 nlmsg_seq, nlmsg_pid;}
    static final int NLMSG_HDRLEN = 16;
    static final int NLMSG_LEN_OFFSET = 0;
    static final int NLMSG_TYPE_OFFSET = 4;
    static final int NLMSG_FLAGS_OFFSET = 6;
    static final int NLMSG_SEQ_OFFSET = 8;
    static final int NLMSG_PID_OFFSET = 12;
    /** struct nlmsgerr {int error; struct nlmsghdr msg;}, after the header: the (negative) error... */
    static final int NLMSGERR_ERROR_OFFSET = NLMSG_HDRLEN;
    /** ... then the request echoed. */
    static final int NLMSGERR_MSG_OFFSET = NLMSG_HDRLEN + 4;
    static final int NLMSG_NOOP = 1;
    static final int NLMSG_ERROR = 2;
    static final int NLMSG_DONE = 3;
    static final int NLMSG_OVERRUN = 4;
    static final int NLM_F_REQUEST = 0x1;
    static final int NLM_F_MULTI = 0x2;
    static final int NLM_F_ACK = 0x4;
    static final int NLM_F_DUMP_INTR = 0x10;
    static final int NLM_F_EXCL = 0x200;
    static final int NLM_F_CREATE = 0x400;
    static final int NLM_F_DUMP = 0x300;
    /** In an NLMSG_ERROR: the echoed request was cut to its header. */
    static final int NLM_F_CAPPED = 0x100;
    /** In an NLMSG_ERROR: extended-ack attributes follow the echoed request. */
    static final int NLM_F_ACK_TLVS = 0x200;
    static final int NLMSGERR_ATTR_MSG = 1;

    // struct rtattr {u16 rta_len; u16 rta_type;}
    static final int RTA_HDRLEN = 4;
    static final int RTA_LEN_OFFSET = 0;
    static final int RTA_TYPE_OFFSET = 2;
    static final int NLA_TYPE_MASK = 0x3FFF;

    // links
    static final int RTM_NEWLINK = 16;
    static final int RTM_DELLINK = 17;
    static final int RTM_GETLINK = 18;
    static final int IFINFOMSG_LEN = 16;
    static final int IFLA_IFNAME = 3;
    static final int IFLA_LINKINFO = 18;
    static final int IFLA_EXT_MASK = 29;
    static final int IFLA_AF_SPEC = 26;
    static final int AF_INET6 = 10;
    static final int IFLA_INET6_ADDR_GEN_MODE = 8;
    static final int IFLA_INFO_KIND = 1;
    static final int RTEXT_FILTER_SKIP_STATS = 1 << 3;
    static final int IFF_UP = 0x1;

    // traffic control
    /** struct tc_plug_qopt {int action; u32 limit;}, as two words: the action's word. */
    static final int TC_PLUG_QOPT_ACTION = 0;
    /** The limit's word of a struct tc_plug_qopt. */
    static final int TC_PLUG_QOPT_LIMIT = 1;
    static final int RTM_NEWQDISC = 36;
    static final int RTM_DELQDISC = 37;
    static final int RTM_GETQDISC = 38;
    static final int RTM_NEWTFILTER = 44;
    static final int RTM_DELTFILTER = 45;
    static final int RTM_GETTFILTER = 46;
    // struct tcmsg {u8 tcm_family, pad1; u16 pad2; s32 tcm_ifindex; u32 tcm_handle, tcm_parent, tcm_info;}
    static final int TCMSG_LEN = 20;
    static final int TCMSG_IFINDEX = 4;
    static final int TCMSG_HANDLE = 8;
    static final int TCMSG_PARENT = 12;
    static final int TCMSG_INFO = 16;
    static final int TCA_KIND = 1;
    static final int TCA_OPTIONS = 2;
    static final int TCA_STATS = 3;
    static final int TCA_STATS2 = 7;
    static final int TCA_CHAIN = 11;
    static final int TCA_STATS_BASIC = 1;
    static final int TCA_STATS_QUEUE = 3;
    static final int TCA_STATS_PKT64 = 8;
    static final int TC_H_ROOT = 0xFFFFFFFF;
    static final int TC_H_INGRESS = 0xFFFFFFF1;
    static final int INGRESS_HANDLE = 0xFFFF0000;
    static final int ETH_P_ALL = 0x0003;
    static final int ETH_P_IP = 0x0800;

    // u32 classifier and actions
    static final int TCA_U32_SEL = 5;
    static final int TCA_U32_ACT = 7;
    static final int TC_U32_TERMINAL = 1;
    /** struct tc_u32_sel (16 bytes) followed by one struct tc_u32_key (16 bytes). */
    static final int U32_SEL_ONE_KEY_LEN = 32;
    /** struct tc_u32_sel {u8 flags, offshift, nkeys; ...}. */
    static final int U32_SEL_FLAGS = 0;
    static final int U32_SEL_NKEYS = 2;
    /** struct tc_u32_sel before its keys. */
    static final int U32_SEL_LEN = 16;
    /** struct tc_u32_key {__be32 mask, val; int off, offmask;}: the mask's offset, and its length. */
    static final int U32_KEY_MASK = 0;
    static final int U32_KEY_LEN = 16;
    static final int TCA_ACT_KIND = 1;
    static final int TCA_ACT_OPTIONS = 2;
    static final int TCA_MIRRED_PARMS = 2;
    /** struct tc_mirred: tc_gen (u32 index, capab; int action, refcnt, bindcnt) + int eaction + u32 ifindex. */
    static final int TC_MIRRED_LEN = 28;
    static final int TC_MIRRED_ACTION = 8;
    static final int TC_MIRRED_EACTION = 20;
    static final int TC_MIRRED_IFINDEX = 24;
    static final int TC_ACT_STOLEN = 4;
    static final int TCA_EGRESS_REDIR = 1;

    /** Priority of the redirect filter (the reference script's {@code prio 10}). */
    static final int REDIRECT_PRIO = 10;

    private NetlinkConstants() {
    }

    /**
     * @param len a length
     * @return it rounded up to netlink's 4-byte alignment
     */
    static int align(int len) {
        return (len + 3) & ~3;
    }

    /**
     * @param v a 16-bit value in host order (little or big endian)
     * @return it in network byte order, as the kernel reads a {@code __be16} on this host
     */
    static int htons(int v) {
        return java.nio.ByteOrder.nativeOrder() == java.nio.ByteOrder.BIG_ENDIAN
                ? v & 0xFFFF : ((v & 0xFF) << 8) | ((v >>> 8) & 0xFF);
    }
}
