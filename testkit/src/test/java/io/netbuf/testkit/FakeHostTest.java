package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingToolException;
import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.XenstoreException;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FakeHostTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(2);
    private final TrafficControl tc = host.trafficControl();

    private void attach(String vif, String ifb, Protocols protocols, long limit) {
        host.links().setUp(ifb, true);
        tc.addIngress(vif);
        tc.addRedirect(vif, ifb, protocols);
        tc.addPlug(ifb, limit);
    }

    private static List<Long> ids(List<Frame> frames) {
        return frames.stream().map(Frame::id).toList();
    }

    @Test
    void setupCreatesVifUpAndIfbsDownSortedByName() {
        host.addIfb("ifb10");
        assertEquals(List.of("ifb0", "ifb1", "ifb10"), host.links().ifbs().stream().map(Link::name).toList());
        assertTrue(host.links().ifbs().stream().noneMatch(Link::up));
        Link vif = host.links().find("vif5.0").orElseThrow();
        assertTrue(vif.up());
        assertFalse(vif.isIfb());
        assertTrue(host.links().find("ifb9").isEmpty());
    }

    @Test
    void setupIsPartOfTheCleanStateAndIsNotLogged() {
        host.withXenstore("/libxl/5/remus/netbuf/0/ifb", "ifb0").addVif("vif6.0");
        host.assertClean();
        assertEquals(List.of(), host.calls());
    }

    @Test
    void automaticPlugHandlesStayExplicitPastTheirRange() {
        FakeHost host = FakeHost.create().withIfbs(1);
        TrafficControl tc = host.trafficControl();
        for (int i = 0; i < 0x8000 + 2; i++) { // more plugs than there are automatic majors
            tc.addPlug("ifb0", 1000);
            Qdisc plug = tc.qdiscs("ifb0").stream().filter(q -> q.kind().equals("plug")).findFirst().orElseThrow();
            assertTrue(plug.isExplicit() && (plug.handle() >>> 16) >= 0x8000,
                    "plug " + i + " has handle " + Integer.toHexString(plug.handle()));
            tc.deleteRoot("ifb0");
        }
    }

    @Test
    void errorsCarryTheKernelsErrno() {
        OperationFailedException exists = assertThrows(OperationFailedException.class,
                () -> host.links().createIfb("ifb0"));
        assertEquals(17, exists.errno().orElseThrow());
        OperationFailedException noDev = assertThrows(OperationFailedException.class,
                () -> host.links().setUp("nope", true));
        assertEquals(19, noDev.errno().orElseThrow());
        tc.addIngress("vif5.0");
        OperationFailedException twice = assertThrows(OperationFailedException.class, () -> tc.addIngress("vif5.0"));
        assertEquals(17, twice.errno().orElseThrow());
        assertEquals("Exclusivity flag on, cannot modify.", twice.detail());
        OperationFailedException noRoot = assertThrows(OperationFailedException.class, () -> tc.deleteRoot("ifb0"));
        assertEquals(2, noRoot.errno().orElseThrow());
    }

    @Test
    void defaultQdiscsAppearWhenADeviceFirstGoesUpAndStay() {
        assertEquals(List.of(), tc.qdiscs("ifb0"));
        host.links().setUp("ifb0", true);
        host.links().setUp("ifb0", false);
        List<Qdisc> q = tc.qdiscs("ifb0");
        assertEquals(1, q.size());
        assertEquals("pfifo_fast", q.get(0).kind());
        assertFalse(q.get(0).isExplicit());
        assertEquals("noqueue", tc.qdiscs("vif5.0").get(0).kind());
    }

    @Test
    void plugHoldsTrafficUntilTheEpochIsCommitted() {
        attach("vif5.0", "ifb0", Protocols.ALL, 10_000);
        FakeHost.Guest guest = host.guest("vif5.0");
        Frame a = guest.sendIpv4(100);
        Frame b = guest.sendIpv6(200);
        Frame c = guest.sendArp();
        assertEquals(List.of(), host.delivered("vif5.0"));
        tc.plug(List.of("ifb0"), PlugAction.BUFFER);
        Frame d = guest.sendIpv4(300);
        tc.plug(List.of("ifb0"), PlugAction.RELEASE_ONE);
        assertEquals(List.of(a.id(), b.id(), c.id()), ids(host.delivered("vif5.0")));
        Qdisc plug = tc.qdiscs("ifb0").get(0);
        assertEquals("plug", plug.kind());
        assertEquals(TrafficControl.ROOT, plug.parent());
        assertTrue(plug.isExplicit());
        assertEquals(1, plug.backlogPackets());
        assertEquals(300, plug.backlogBytes());
        assertEquals(3, plug.sentPackets());
        assertEquals(342, plug.sentBytes());
        tc.plug(List.of("ifb0"), PlugAction.BUFFER);
        tc.plug(List.of("ifb0"), PlugAction.RELEASE_ONE);
        assertEquals(d.id(), host.delivered("vif5.0").get(3).id());
    }

    @Test
    void ipv4OnlyRedirectLetsOtherProtocolsThrough() {
        attach("vif5.0", "ifb0", Protocols.IPV4_ONLY, 10_000);
        FakeHost.Guest guest = host.guest("vif5.0");
        guest.sendIpv4(100);
        Frame v6 = guest.sendIpv6(100);
        Frame arp = guest.sendArp();
        assertEquals(List.of(v6.id(), arp.id()), ids(host.delivered("vif5.0")));
    }

    @Test
    void faultsFailTheChosenCallBeforeItChangesAnything() {
        host.faults().failNth(2);
        host.links().setUp("ifb0", true);
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> tc.addIngress("vif5.0"));
        assertEquals("trafficControl.addIngress", e.operation());
        assertTrue(tc.qdiscs("vif5.0").stream().noneMatch(q -> q.kind().equals("ingress")));
        host.faults().failOn("xenstore.write");
        XenstoreException xe = assertThrows(XenstoreException.class, () -> host.xenstore().write("/a", "b"));
        assertEquals("EIO", xe.errno());
        assertEquals(List.of("links.setUp", "trafficControl.addIngress", "trafficControl.qdiscs", "xenstore.write"),
                host.calls());
        assertTrue(host.callLog().get(1).failed());
    }

    @Test
    void missingToolsAndFeatures() {
        host.withoutTool("tc").withoutFeature(KernelFeature.PLUG);
        MissingToolException mt = assertThrows(MissingToolException.class, () -> tc.addIngress("vif5.0"));
        assertEquals("tc", mt.tool());
        assertEquals("iproute2", mt.debianPackage());
        assertEquals(Set.of(KernelFeature.PLUG), host.features().missing(Set.of(KernelFeature.values())));
        host.withTool("tc");
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> tc.addPlug("ifb0", 1000));
        assertEquals(2, e.errno().orElseThrow());
        assertEquals("Specified qdisc kind is unknown.", e.detail());
    }

    @Test
    void leakCheckNamesWhatLeaked() {
        attach("vif5.0", "ifb0", Protocols.ALL, 1000);
        host.xenstore().write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
        try (var held = host.lock().acquire("pickifb", java.time.Duration.ofSeconds(1))) {
            List<String> leaks = host.leaks();
            assertTrue(leaks.contains("changed: link ifb0 = ifb, up (was ifb, down)"), leaks::toString);
            assertTrue(leaks.contains("added: qdisc ifb0 root = plug"), leaks::toString);
            assertTrue(leaks.contains("added: qdisc vif5.0 ingress = ingress"), leaks::toString);
            assertTrue(leaks.contains(
                    "added: filter vif5.0 ingress #1 = u32 protocol all mirred egress redirect dev ifb0"),
                    leaks::toString);
            assertTrue(leaks.contains("added: xenstore /libxl/5/remus/netbuf/0/ifb = ifb0"), leaks::toString);
            assertTrue(leaks.stream().anyMatch(l -> l.startsWith("added: lock pickifb = held")), leaks::toString);
        }
        tc.deleteRoot("ifb0");
        tc.deleteIngress("vif5.0");
        host.links().setUp("ifb0", false);
        host.xenstore().rm("/libxl");
        host.assertClean();
    }

    @Test
    void theCallLogKeepsTheMostRecentCallsWithinItsLimit() {
        FakeHost host = FakeHost.create().withVif("vif1.0").withCallLogLimit(3);
        for (int i = 0; i < 10; i++) {
            host.links().find("vif1." + i);
        }
        assertEquals(3, host.callLog().size());
        assertEquals(List.of("vif1.7", "vif1.8", "vif1.9"),
                host.callLog().stream().map(call -> call.arguments().get(0)).toList());
        assertEquals(7, host.droppedCalls());
        host.clearCalls();
        assertEquals(0, host.droppedCalls());
        assertThrows(IllegalArgumentException.class, () -> host.withCallLogLimit(0));
    }
}
