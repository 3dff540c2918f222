package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.AF_INET6;
import static io.netbuf.impl.netlink.NetlinkConstants.IFF_UP;
import static io.netbuf.impl.netlink.NetlinkConstants.IFINFOMSG_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_AF_SPEC;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_EXT_MASK;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_IFNAME;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_INET6_ADDR_GEN_MODE;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_INFO_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_LINKINFO;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CREATE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_DUMP;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_EXCL;
import static io.netbuf.impl.netlink.NetlinkConstants.RTEXT_FILTER_SKIP_STATS;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_DELLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWLINK;

import io.netbuf.OperationFailedException;
import io.netbuf.Validate;
import io.netbuf.impl.libc.Errno;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.Links;
import java.nio.ByteBuffer;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@link Links} over rtnetlink: {@code RTM_GETLINK} lookups and dumps, {@code RTM_NEWLINK} to
 * create IFBs and set the UP flag, {@code RTM_DELLINK}. Acts in the network namespace of its
 * {@link Rtnetlink} socket. Thread-safe.
 */
public final class NetlinkLinks implements Links {
    /**
     * Links by name. Not {@code Comparator.comparing}: its serializable lambda is spun at run time
     * even from a class archive, a few milliseconds of every hotplug call.
     */
    private static final Comparator<Link> BY_NAME = (a, b) -> a.name().compareTo(b.name());

    private final Rtnetlink rtnl;

    /** @param rtnl the socket to use (not closed by this object) */
    public NetlinkLinks(Rtnetlink rtnl) {
        this.rtnl = rtnl;
    }

    @Override
    public Optional<Link> find(String name) {
        Validate.vif(name);
        return Optional.ofNullable(lookup(name));
    }

    @Override
    public List<Link> all() {
        List<Link> all;
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_GETLINK, NLM_F_DUMP);
            w.ifinfomsg(0, 0, 0);
            w.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
            w.end();
            all = rtnl.dump("list links", NetlinkLinks::parse);
        }
        return all.stream().sorted(BY_NAME).collect(Collectors.toUnmodifiableList());
    }

    @Override
    public List<Link> ifbs() {
        return all().stream().filter(Link::isIfb).collect(Collectors.toUnmodifiableList());
    }

    @Override
    public void createIfb(String name) {
        Validate.ifb(name);
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            w.ifinfomsg(0, 0, 0);
            w.string(IFLA_IFNAME, name);
            int info = w.nest(IFLA_LINKINFO);
            w.string(IFLA_INFO_KIND, "ifb");
            w.endNest(info);
            w.end();
            rtnl.ack("create IFB " + name, null, name);
        }
    }

    @Override
    public void deleteIfb(String name) {
        Validate.ifb(name);
        String operation = "delete IFB " + name;
        synchronized (rtnl) {
            Link link = lookup(name);
            if (link == null) {
                throw OperationFailedException.ofErrno(operation, Errno.ENODEV, "no device named " + name, null, name);
            }
            if (!link.isIfb()) {
                throw OperationFailedException.of(operation, name + " is not an IFB (link kind '" + link.kind() + "')",
                        null, name, null);
            }
            NetlinkWriter w = rtnl.request(RTM_DELLINK, NLM_F_ACK);
            w.ifinfomsg(link.index(), 0, 0);
            w.end();
            rtnl.ack(operation, null, name);
        }
    }

    @Override
    public void setUp(String name, boolean up) {
        Validate.vif(name);
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_NEWLINK, NLM_F_ACK);
            w.ifinfomsg(0, up ? IFF_UP : 0, IFF_UP);
            w.string(IFLA_IFNAME, name);
            w.end();
            rtnl.ack((up ? "set up " : "set down ") + name, null, null);
        }
    }

    /**
     * {@inheritDoc}
     *
     * <p>Reads the mode with {@code RTM_GETLINK} ({@code IFLA_AF_SPEC/AF_INET6}) and, only when it
     * differs, sets it with {@code RTM_NEWLINK}.
     */
    @Override
    public Optional<Ipv6AddrGenMode> setIpv6AddrGenMode(String name, Ipv6AddrGenMode mode) {
        Validate.vif(name);
        if (mode == null) {
            throw new IllegalArgumentException("mode must not be null");
        }
        String operation = "set IPv6 addrgenmode " + mode.iproute2Name() + " on " + name;
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_GETLINK, 0);
            w.ifinfomsg(0, 0, 0);
            w.string(IFLA_IFNAME, name);
            w.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
            w.end();
            Integer code = rtnl.get(operation, NetlinkLinks::addrGenMode, 0, null, name);
            if (code < 0) {
                return Optional.empty();
            }
            Ipv6AddrGenMode before;
            try {
                before = Ipv6AddrGenMode.ofCode(code);
            } catch (IllegalArgumentException e) {
                throw OperationFailedException.of(operation, "the kernel reports an unknown mode " + code, null, name,
                        e);
            }
            if (before != mode) {
                w = rtnl.request(RTM_NEWLINK, NLM_F_ACK);
                w.ifinfomsg(0, 0, 0);
                w.string(IFLA_IFNAME, name);
                int spec = w.nest(IFLA_AF_SPEC);
                int inet6 = w.nest(AF_INET6);
                w.u8(IFLA_INET6_ADDR_GEN_MODE, mode.code());
                w.endNest(inet6);
                w.endNest(spec);
                w.end();
                rtnl.ack(operation, null, name);
            }
            return Optional.of(before);
        }
    }

    /**
     * Reads {@code IFLA_AF_SPEC/AF_INET6/IFLA_INET6_ADDR_GEN_MODE} from an {@code RTM_NEWLINK}.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @return the mode's code, -1 when the link has no IPv6, or null for any other message type
     */
    static Integer addrGenMode(ByteBuffer b, int off, int len) {
        if (NetlinkReader.type(b, off) != RTM_NEWLINK) {
            return null;
        }
        int end = off + len;
        int attrs = off + NLMSG_HDRLEN + IFINFOMSG_LEN;
        if (attrs > end) {
            throw new MalformedReplyException("RTM_NEWLINK of " + len + " bytes has no ifinfomsg");
        }
        int spec = NetlinkReader.find(b, attrs, end, IFLA_AF_SPEC);
        if (spec < 0) {
            return -1;
        }
        int inet6 = NetlinkReader.find(b, NetlinkReader.payload(spec), NetlinkReader.payloadEnd(b, spec), AF_INET6);
        if (inet6 < 0) {
            return -1;
        }
        int mode = NetlinkReader.find(b, NetlinkReader.payload(inet6), NetlinkReader.payloadEnd(b, inet6),
                IFLA_INET6_ADDR_GEN_MODE);
        if (mode < 0) {
            return -1;
        }
        NetlinkReader.requirePayload(b, mode, 1, "IFLA_INET6_ADDR_GEN_MODE");
        return b.get(NetlinkReader.payload(mode)) & 0xFF;
    }

    /**
     * @param name a validated interface name
     * @return the link, or null when there is none by that name
     */
    Link lookup(String name) {
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_GETLINK, 0);
            w.ifinfomsg(0, 0, 0);
            w.string(IFLA_IFNAME, name);
            w.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
            w.end();
            return rtnl.get("look up link " + name, NetlinkLinks::parse, Errno.ENODEV, null, null);
        }
    }

    /**
     * @param index an ifindex
     * @return the link, or null when there is none with that index
     */
    Link lookup(int index) {
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_GETLINK, 0);
            w.ifinfomsg(index, 0, 0);
            w.u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
            w.end();
            return rtnl.get("look up link #" + index, NetlinkLinks::parse, Errno.ENODEV, null, null);
        }
    }

    /**
     * Parses an {@code RTM_NEWLINK} message.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @return the link, or null for any other message type
     */
    static Link parse(ByteBuffer b, int off, int len) {
        if (NetlinkReader.type(b, off) != RTM_NEWLINK) {
            return null;
        }
        int body = off + NLMSG_HDRLEN;
        int end = off + len;
        if (end - body < IFINFOMSG_LEN) {
            throw new MalformedReplyException("RTM_NEWLINK of " + len + " bytes has no ifinfomsg");
        }
        int index = b.getInt(body + 4);
        int flags = b.getInt(body + 8);
        int attrs = body + IFINFOMSG_LEN;
        int nameAt = NetlinkReader.find(b, attrs, end, IFLA_IFNAME);
        if (nameAt < 0) {
            throw new MalformedReplyException("RTM_NEWLINK for ifindex " + index + " has no IFLA_IFNAME");
        }
        String kind = "";
        int info = NetlinkReader.find(b, attrs, end, IFLA_LINKINFO);
        if (info >= 0) {
            int kindAt = NetlinkReader.find(b, NetlinkReader.payload(info), NetlinkReader.payloadEnd(b, info),
                    IFLA_INFO_KIND);
            if (kindAt >= 0) {
                kind = NetlinkReader.string(b, kindAt);
            }
        }
        return new Link(NetlinkReader.string(b, nameAt), index, kind, (flags & IFF_UP) != 0);
    }
}
