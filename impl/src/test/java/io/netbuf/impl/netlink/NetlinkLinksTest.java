package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.AF_INET6;
import static io.netbuf.impl.netlink.NetlinkConstants.IFINFOMSG_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_AF_SPEC;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_IFNAME;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_INET6_ADDR_GEN_MODE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_REQUEST;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWLINK;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.netlink.FakeChannel.Msg;
import io.netbuf.spi.Ipv6AddrGenMode;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link NetlinkLinks#setIpv6AddrGenMode}: what is read, what is sent, and when nothing is. */
class NetlinkLinksTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);
    private static final int IFINDEX = 7;

    /** A kernel whose link ifb0 has the given IPv6 mode (null: no IPv6 on the link). */
    private static FakeChannel kernel(Integer mode) {
        return new FakeChannel(req -> {
            int type = req.getShort(4);
            if (type == RTM_GETLINK) {
                Msg reply = Msg.of(RTM_NEWLINK, 0, req.getInt(8)).i32(0).i32(IFINDEX).i32(0).i32(0)
                        .attr(IFLA_IFNAME, "ifb0");
                if (mode != null) {
                    int spec = reply.nest(IFLA_AF_SPEC);
                    int inet6 = reply.nest(AF_INET6);
                    reply.attrBytes(IFLA_INET6_ADDR_GEN_MODE, new byte[] {(byte) (int) mode});
                    reply.end(inet6).end(spec);
                }
                return List.of(reply.bytes());
            }
            return List.of(FakeChannel.ack(req, 0, 0, null));
        });
    }

    private static NetlinkLinks links(FakeChannel channel) {
        return new NetlinkLinks(new Rtnetlink(channel, null, TIMEOUT));
    }

    @Test
    void readsTheModeThenSetsItInANestedInet6Attribute() {
        FakeChannel ch = kernel(Ipv6AddrGenMode.STABLE_PRIVACY.code());
        assertEquals(Optional.of(Ipv6AddrGenMode.STABLE_PRIVACY),
                links(ch).setIpv6AddrGenMode("ifb0", Ipv6AddrGenMode.NONE));
        assertEquals(2, ch.sent.size(), "one look-up, one change");
        ByteBuffer set = ch.sent.get(1);
        assertEquals(RTM_NEWLINK, set.getShort(4));
        assertEquals(NLM_F_REQUEST | NLM_F_ACK, set.getShort(6));
        int end = set.getInt(0);
        int attrs = NLMSG_HDRLEN + IFINFOMSG_LEN;
        assertEquals("ifb0", NetlinkReader.string(set, NetlinkReader.find(set, attrs, end, IFLA_IFNAME)));
        int spec = NetlinkReader.find(set, attrs, end, IFLA_AF_SPEC);
        int inet6 = NetlinkReader.find(set, NetlinkReader.payload(spec), NetlinkReader.payloadEnd(set, spec), AF_INET6);
        int mode = NetlinkReader.find(set, NetlinkReader.payload(inet6), NetlinkReader.payloadEnd(set, inet6),
                IFLA_INET6_ADDR_GEN_MODE);
        assertEquals(1, NetlinkReader.payloadLength(set, mode), "IFLA_INET6_ADDR_GEN_MODE is a u8");
        assertEquals(Ipv6AddrGenMode.NONE.code(), set.get(NetlinkReader.payload(mode)));
        assertEquals(0, end % 4, "the message stays 4-byte aligned");
    }

    @Test
    void sendsNoChangeWhenTheModeIsAlreadySet() {
        FakeChannel ch = kernel(Ipv6AddrGenMode.NONE.code());
        assertEquals(Optional.of(Ipv6AddrGenMode.NONE), links(ch).setIpv6AddrGenMode("ifb0", Ipv6AddrGenMode.NONE));
        assertEquals(1, ch.sent.size());
    }

    @Test
    void aLinkWithoutIpv6IsLeftAlone() {
        FakeChannel ch = kernel(null);
        assertEquals(Optional.empty(), links(ch).setIpv6AddrGenMode("ifb0", Ipv6AddrGenMode.NONE));
        assertEquals(1, ch.sent.size());
    }

    @Test
    void anUnknownModeIsATypedFailure() {
        FakeChannel ch = kernel(9);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> links(ch).setIpv6AddrGenMode("ifb0", Ipv6AddrGenMode.NONE));
        assertEquals(Optional.of("ifb0"), e.ifb());
        assertEquals(1, ch.sent.size(), "nothing is changed");
    }

    @Test
    void anUnknownLinkIsRefusedWithTheKernelsErrno() {
        FakeChannel ch = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -Errno.ENODEV, null)));
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> links(ch).setIpv6AddrGenMode("nbmissing0", Ipv6AddrGenMode.NONE));
        assertEquals(Optional.of(Errno.ENODEV), e.errno());
    }
}
