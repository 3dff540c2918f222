package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.ReapFinding;
import io.netbuf.ReapReport;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.testkit.Frame;
import io.netbuf.testkit.FakeHost;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * netbuf changes only IFBs, only its own redirect filter and the ingress qdisc it added (when
 * empty), and never leaves the guest cut off (issue #15).
 */
class DoNoHarmTest {
    /** An administrator's mirror of everything at priority 1 (not a redirect). */
    static final IngressFilter ADMIN_MIRROR = new IngressFilter("u32", 1, IngressFilter.ETH_P_ALL, 0, 0, null, false);

    /** A redirect of netbuf's exact shape into {@code ifb}. */
    static IngressFilter redirect(String ifb) {
        return new IngressFilter("u32", IngressFilter.NETBUF_PRIO, IngressFilter.ETH_P_ALL, 0, 0, ifb, true);
    }

    @Test
    void teardownNeverSetsANonIfbDeviceDown() {
        FakeHost host = EngineFixtures.domain5(1).withLink("eth0", "veth", true).withLink("lo", "", true)
                .withXenstore(XENBUS + "/ifb", "eth0");
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).teardown("eth0");
        NetworkBuffer.forVif(VIF).on(host).teardown("lo");
        assertTrue(host.links().find("eth0").orElseThrow().up(), "eth0 stays up");
        assertTrue(host.links().find("lo").orElseThrow().up(), "lo stays up");
        assertEquals(Optional.of(Ipv6AddrGenMode.EUI64), host.ipv6AddrGenMode("eth0"));
        assertEquals(Optional.of(Ipv6AddrGenMode.EUI64), host.ipv6AddrGenMode("lo"));
        assertTrue(host.leaks().stream().noneMatch(l -> l.contains("link ")), host.leaks().toString());
        assertTrue(host.calls().stream().noneMatch(c -> c.matches("links\\.(setUp|setIpv6AddrGenMode|deleteIfb)")),
                host.calls().toString());
    }

    @Test
    void teardownWithoutIfbKeepsAnIngressQdiscThatRedirectsNowhere() {
        FakeHost host = EngineFixtures.domain5(1);
        host.trafficControl().addIngress(VIF);
        host.markClean();
        NetworkBuffer.forVif(VIF).on(host).teardown(null);
        host.assertClean();
    }

    @Test
    void teardownRemovesOnlyNetbufsFilterAndKeepsTheAdminsAndTheirQdisc() {
        FakeHost host = EngineFixtures.domain5(1).withIngressFilter(VIF, ADMIN_MIRROR);
        host.markClean();
        host.trafficControl().addRedirect(VIF, "ifb0", io.netbuf.Protocols.ALL);
        NetworkBuffer.forVif(VIF).on(host).teardown(null);
        host.assertClean();
    }

    @Test
    void reapLeavesAnAdminsMirrorAndRedirectIntoAnIfbNobodyClaimsAlone() {
        FakeHost host = EngineFixtures.domain5(1).withLink("eth0", "veth", true).withLink("ifb7", "ifb", true)
                .withIfb("ifb8").withIngressFilter("eth0", ADMIN_MIRROR).withIngressFilter("eth0", redirect("ifb7"));
        host.markClean();
        ReapReport report = NetworkBuffer.reap(host);
        assertTrue(report.isClean(), report.toString());
        assertEquals(List.of(), report.apply());
        host.assertClean();
    }

    @Test
    void reapRemovesOnlyNetbufsFilterFromAVifThatAlsoCarriesTheAdminsFilter() {
        FakeHost host = EngineFixtures.domain5(2).withIngressFilter(VIF, ADMIN_MIRROR);
        host.markClean();
        // An attach that died after its redirect and before its plug.
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.links().setUp("ifb0", true);
        host.trafficControl().addRedirect(VIF, "ifb0", io.netbuf.Protocols.ALL);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(List.of(new ReapFinding(ReapFinding.Kind.UNPLUGGED_CLAIM, XENBUS, null, "ifb0"),
                new ReapFinding(ReapFinding.Kind.DANGLING_REDIRECT, null, VIF, "ifb0")), report.findings());
        assertEquals(report.findings(), report.apply());
        host.assertClean();
    }

    @Test
    void theIfbPickerSkipsAnIfbAnotherInterfaceRedirectsInto() {
        FakeHost host = EngineFixtures.domain5(2).withLink("eth0", "veth", true)
                .withIngressFilter("eth0", redirect("ifb0"));
        host.markClean();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            assertEquals("ifb1", buffer.ifb(), "ifb0 carries eth0's captured traffic");
        }
        host.assertClean();
    }

    @Test
    void closeFailingAtDeleteIngressStillLetsTheGuestsTrafficThrough() {
        FakeHost host = EngineFixtures.domain5(1);
        host.markClean();
        NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
        host.faults().failOn("trafficControl.deleteIngress");
        assertThrows(OperationFailedException.class, buffer::close);
        host.faults().clear();
        Frame frame = host.guest(VIF).sendIpv4(100);
        assertEquals(List.of(frame), host.delivered(VIF), "no redirect into a down IFB: " + host.drops());
        buffer.close();
        host.assertClean();
    }

    @Test
    void closeThatCannotRemoveTheRedirectLeavesTheIfbUpAndReleasedAndSaysHowToFinish() {
        FakeHost host = EngineFixtures.domain5(1);
        host.markClean();
        NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
        host.faults().failOn("trafficControl.deleteIngressFilter");
        OperationFailedException e = assertThrows(OperationFailedException.class, buffer::close);
        host.faults().clear();
        assertTrue(e.getMessage().contains("ifb0 was left up with its plug released indefinitely"), e.getMessage());
        assertTrue(e.getMessage().contains("call close() (or teardown) again to finish"), e.getMessage());
        assertEquals(Optional.of(VIF), e.vif());
        assertTrue(host.links().find("ifb0").orElseThrow().up());
        assertEquals(Optional.of("ifb0"), host.xenstore().read(XENBUS + "/ifb"), "the claim is kept");
        Frame frame = host.guest(VIF).sendIpv4(100);
        assertEquals(List.of(frame), host.delivered(VIF), "the guest's traffic flows: " + host.drops());
        assertFalse(buffer.isClosed() && host.leaks().isEmpty());
        buffer.close();
        host.assertClean();
    }
}
