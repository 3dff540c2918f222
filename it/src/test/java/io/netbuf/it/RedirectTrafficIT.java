package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.Protocols;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.Links;
import io.netbuf.spi.TrafficControl;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each backend's redirect (native rtnetlink and ip/tc), proven with real traffic: a veth pair stands for a vif (host
 * side) and the guest's interface (in a second namespace); IPv4, IPv6 and ARP sent by the guest
 * must reach the IFB with {@link Protocols#ALL}, and only IPv4 with {@link Protocols#IPV4_ONLY}.
 * The IFB's receive counters show what arrived.
 */
class RedirectTrafficIT {
    private static final int PINGS = 3;
    private static final int PAYLOAD = 1000;

    private Netns host;
    private Netns guest;
    private SystemHost system;
    private TrafficControl tc;

    /** Builds the namespaces, the IFB and the vif's ingress qdisc through {@code backend}. */
    private void setUp(SystemHost.Backend backend) throws InterruptedException {
        Requirements.netns();
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/ping")) || Files.isExecutable(Path.of("/bin/ping")),
                "ping (Debian package iputils-ping)");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/arping")) || Files.isExecutable(
                Path.of("/usr/sbin/arping")), "arping (Debian package iputils-arping)");
        host = Netns.create("nbh");
        guest = Netns.create("nbg");
        host.ip("link", "add", "vif1", "type", "veth", "peer", "name", "eth0", "netns", guest.name());
        // No automatic link-local addresses, no DAD: the only IPv6 traffic is what the test sends.
        host.ip("link", "set", "vif1", "addrgenmode", "none");
        guest.ip("link", "set", "eth0", "addrgenmode", "none");
        host.ip("addr", "add", "10.9.0.1/24", "dev", "vif1");
        guest.ip("addr", "add", "10.9.0.2/24", "dev", "eth0");
        host.ip("addr", "add", "fd00:9::1/64", "dev", "vif1", "nodad");
        guest.ip("addr", "add", "fd00:9::2/64", "dev", "eth0", "nodad");
        host.ip("link", "set", "vif1", "up");
        guest.ip("link", "set", "eth0", "up");
        KernelState.awaitOperUp(host, "vif1");
        KernelState.awaitOperUp(guest, "eth0");
        system = SystemHost.builder().backend(backend).namespace(host.name()).build();
        Links links = system.links();
        tc = system.trafficControl();
        links.createIfb("ifb0");
        links.setUp("ifb0", true);
        tc.addIngress("vif1");
        Thread.sleep(200);
    }

    @AfterEach
    void tearDown() {
        if (system != null) {
            system.close();
        }
        if (guest != null) {
            guest.close();
        }
        if (host != null) {
            host.close();
        }
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void withAllProtocolsIpv4Ipv6AndArpReachTheIfbAndStillGetThrough(SystemHost.Backend backend) throws Exception {
        setUp(backend);
        tc.addRedirect("vif1", "ifb0", Protocols.ALL);
        assertEquals(List.of("ifb0"), tc.redirectTargets("vif1"));

        long[] before = KernelState.rx(host, "ifb0");
        pingV4();
        long[] afterV4 = KernelState.rx(host, "ifb0");
        assertAtLeast(before, afterV4, PINGS, PINGS * PAYLOAD, "IPv4");

        pingV6();
        long[] afterV6 = KernelState.rx(host, "ifb0");
        assertAtLeast(afterV4, afterV6, PINGS, PINGS * PAYLOAD, "IPv6");

        guest.ip("neigh", "flush", "dev", "eth0");
        arping();
        long[] afterArp = KernelState.rx(host, "ifb0");
        assertAtLeast(afterV6, afterArp, 2, 2 * 28, "ARP");
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void withIpv4OnlyIpv6AndArpBypassTheIfb(SystemHost.Backend backend) throws Exception {
        setUp(backend);
        tc.addRedirect("vif1", "ifb0", Protocols.IPV4_ONLY);
        assertEquals(List.of("ifb0"), tc.redirectTargets("vif1"));

        long[] before = KernelState.rx(host, "ifb0");
        pingV6();
        arping();
        long[] afterOthers = KernelState.rx(host, "ifb0");
        assertEquals(before[1], afterOthers[1], "IPv6 and ARP must not be redirected in IPv4-only mode");

        pingV4();
        long[] afterV4 = KernelState.rx(host, "ifb0");
        assertAtLeast(afterOthers, afterV4, PINGS, PINGS * PAYLOAD, "IPv4");
    }

    /** ping fails unless every echo is answered: the redirected packets must come back out of the IFB. */
    private void pingV4() {
        guest.exec("ping", "-c", String.valueOf(PINGS), "-i", "0.2", "-W", "2", "-s", String.valueOf(PAYLOAD),
                "10.9.0.1");
    }

    private void pingV6() {
        guest.exec("ping", "-6", "-c", String.valueOf(PINGS), "-i", "0.2", "-W", "2", "-s",
                String.valueOf(PAYLOAD), "fd00:9::1");
    }

    private void arping() {
        // exits non-zero unless a reply came back
        guest.exec("arping", "-c", "2", "-w", "5", "-I", "eth0", "10.9.0.1");
    }

    private static void assertAtLeast(long[] before, long[] after, long packets, long bytes, String what) {
        long gotPackets = after[1] - before[1];
        long gotBytes = after[0] - before[0];
        assertTrue(gotPackets >= packets && gotBytes >= bytes, what + " must reach the IFB: expected at least "
                + packets + " packets / " + bytes + " bytes, got " + gotPackets + " / " + gotBytes);
    }
}
