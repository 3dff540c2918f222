package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.Protocols;
import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.Rtnetlink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The native backend's redirect, proven with real traffic: a veth pair stands for a vif (host
 * side) and the guest's interface (in a second namespace). With {@link Protocols#ALL}, IPv4, IPv6
 * and ARP from the guest reach the IFB (its receive counter) and still get through (the pings are
 * answered); with {@link Protocols#IPV4_ONLY} only IPv4 does.
 */
class NetlinkRedirectTrafficIT {
    private Netns host;
    private Netns guest;
    private Rtnetlink rtnl;
    private NetlinkTrafficControl tc;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/ping")), "ping (Debian package iputils-ping)");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/arping")), "arping (Debian package iputils-arping)");
        host = Netns.create("nbnlh");
        guest = Netns.create("nbnlg");
        host.ip("link", "add", "vif2.0", "type", "veth", "peer", "name", "eth0", "netns", guest.name());
        // No automatic link-local addresses and no DAD: the only traffic is what the test sends.
        host.ip("link", "set", "vif2.0", "addrgenmode", "none");
        guest.ip("link", "set", "eth0", "addrgenmode", "none");
        host.ip("addr", "add", "10.9.1.1/24", "dev", "vif2.0");
        guest.ip("addr", "add", "10.9.1.2/24", "dev", "eth0");
        host.ip("addr", "add", "fd00:91::1/64", "dev", "vif2.0", "nodad");
        guest.ip("addr", "add", "fd00:91::2/64", "dev", "eth0", "nodad");
        host.ip("link", "set", "vif2.0", "up");
        guest.ip("link", "set", "eth0", "up");
        rtnl = Rtnetlink.open(host.name(), Duration.ofSeconds(5));
        NetlinkLinks links = new NetlinkLinks(rtnl);
        tc = new NetlinkTrafficControl(rtnl, links);
        links.createIfb("ifb0");
        links.setUp("ifb0", true);
        tc.addIngress("vif2.0");
    }

    @AfterEach
    void tearDown() {
        if (rtnl != null) {
            rtnl.close();
        }
        if (guest != null) {
            guest.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @Test
    void withAllProtocolsIpv4Ipv6AndArpReachTheIfbAndGetThrough() {
        tc.addRedirect("vif2.0", "ifb0", Protocols.ALL);
        assertEquals(List.of("ifb0"), tc.redirectTargets("vif2.0"));

        long start = ifbRxPackets();
        pingV4();
        long afterV4 = ifbRxPackets();
        assertTrue(afterV4 - start >= 3, "IPv4 reached the IFB: " + (afterV4 - start));
        pingV6();
        long afterV6 = ifbRxPackets();
        assertTrue(afterV6 - afterV4 >= 3, "IPv6 reached the IFB: " + (afterV6 - afterV4));
        guest.ip("neigh", "flush", "dev", "eth0");
        arping();
        assertTrue(ifbRxPackets() - afterV6 >= 2, "ARP reached the IFB");
    }

    @Test
    void withIpv4OnlyIpv6AndArpBypassTheIfb() {
        tc.addRedirect("vif2.0", "ifb0", Protocols.IPV4_ONLY);
        long start = ifbRxPackets();
        pingV6();
        arping();
        assertEquals(start, ifbRxPackets(), "IPv6 and ARP are not redirected in IPv4-only mode");
        pingV4();
        assertTrue(ifbRxPackets() - start >= 3, "IPv4 reached the IFB");
    }

    /** Fails unless every echo is answered, i.e. the redirected packets came back out of the IFB. */
    private void pingV4() {
        guest.exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "-q", "10.9.1.1");
    }

    private void pingV6() {
        guest.exec("ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "-q", "fd00:91::1");
    }

    private void arping() {
        guest.exec("arping", "-c", "2", "-w", "5", "-I", "eth0", "10.9.1.1");
    }

    private long ifbRxPackets() {
        return Long.parseLong(host.exec("cat", "/sys/class/net/ifb0/statistics/rx_packets").strip());
    }
}
