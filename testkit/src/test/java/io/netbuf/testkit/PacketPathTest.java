package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Frames from a guest through vif ingress, the redirect, the IFB's plug and back to the vif. */
class PacketPathTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withVif("vif5.1").withIfbs(2);
    private final TrafficControl tc = host.trafficControl();
    private final FakeHost.Guest guest = host.guest("vif5.0");

    private void buffer(String vif, String ifb, long limit) {
        host.links().setUp(ifb, true);
        tc.addIngress(vif);
        tc.addRedirect(vif, ifb, Protocols.ALL);
        tc.addPlug(ifb, limit);
    }

    private void plug(PlugAction action, String... ifbs) {
        tc.plug(List.of(ifbs), action);
    }

    private static List<Long> ids(List<Frame> frames) {
        return frames.stream().map(Frame::id).toList();
    }

    private Qdisc plugStats(String ifb) {
        return tc.qdiscs(ifb).get(0);
    }

    @Test
    void withoutARedirectFramesAreDeliveredAtOnce() {
        Frame f = guest.sendIpv4(60);
        assertEquals(List.of(f), host.delivered("vif5.0"));
        assertEquals(List.of(), host.delivered("vif5.1"));
    }

    @Test
    void eachEpochIsHeldUntilItsCommitAndLeavesInOrder() {
        buffer("vif5.0", "ifb0", 1_000_000);
        Frame a1 = guest.sendIpv4(100);
        Frame a2 = guest.sendIpv6(120);
        plug(PlugAction.BUFFER, "ifb0");
        Frame b1 = guest.sendArp();
        assertEquals(List.of(), host.delivered("vif5.0"), "nothing leaves before the commit");
        plug(PlugAction.RELEASE_ONE, "ifb0");
        assertEquals(List.of(a1.id(), a2.id()), ids(host.drainDelivered("vif5.0")));
        assertEquals(List.of(), host.delivered("vif5.0"), "drained");
        plug(PlugAction.BUFFER, "ifb0");
        plug(PlugAction.RELEASE_ONE, "ifb0");
        assertEquals(List.of(b1.id()), ids(host.delivered("vif5.0")));
        Qdisc q = plugStats("ifb0");
        assertEquals(3, q.sentPackets());
        assertEquals(100 + 120 + 42, q.sentBytes());
        assertEquals(0, q.backlogPackets());
    }

    @Test
    void releaseIndefinitelyPassesTrafficThroughUntilTheNextCheckpoint() {
        buffer("vif5.0", "ifb0", 1_000_000);
        Frame held = guest.sendIpv4(100);
        plug(PlugAction.RELEASE_INDEFINITE, "ifb0");
        Frame through = guest.sendIpv4(100);
        assertEquals(List.of(held.id(), through.id()), ids(host.drainDelivered("vif5.0")));
        plug(PlugAction.BUFFER, "ifb0");
        guest.sendIpv4(100);
        assertEquals(List.of(), host.delivered("vif5.0"), "plugged again");
    }

    @Test
    void framesOverTheLimitAreDroppedAndCounted() {
        buffer("vif5.0", "ifb0", 250);
        guest.sendIpv4(100);
        guest.sendIpv4(100);
        Frame over = guest.sendIpv4(100);
        Qdisc q = plugStats("ifb0");
        assertEquals(1, q.drops());
        assertEquals(200, q.backlogBytes());
        assertEquals(List.of(new Drop(over, "vif5.0", "over the plug limit of ifb0")), host.drops());
        tc.plug(List.of("ifb0"), PlugAction.limit(300));
        guest.sendIpv4(100);
        assertEquals(1, plugStats("ifb0").drops());
    }

    @Test
    void ipv4OnlyLetsIpv6AndArpBypassTheBuffer() {
        host.links().setUp("ifb0", true);
        tc.addIngress("vif5.0");
        tc.addRedirect("vif5.0", "ifb0", Protocols.IPV4_ONLY);
        tc.addPlug("ifb0", 10_000);
        guest.sendIpv4(100);
        Frame v6 = guest.sendIpv6(100);
        Frame arp = guest.sendArp();
        assertEquals(List.of(v6.id(), arp.id()), ids(host.delivered("vif5.0")));
    }

    @Test
    void aRedirectToAnIfbThatIsDownDrops() {
        tc.addIngress("vif5.0");
        tc.addRedirect("vif5.0", "ifb0", Protocols.ALL);
        Frame f = guest.sendIpv4(100);
        assertEquals(List.of(new Drop(f, "vif5.0", "redirect target ifb0 is down")), host.drops());
    }

    @Test
    void anIfbWithoutPlugForwardsThroughItsDefaultQdisc() {
        host.links().setUp("ifb0", true);
        tc.addIngress("vif5.0");
        tc.addRedirect("vif5.0", "ifb0", Protocols.ALL);
        Frame f = guest.sendIpv4(100);
        assertEquals(List.of(f), host.delivered("vif5.0"));
        Qdisc def = tc.qdiscs("ifb0").get(0);
        assertEquals("pfifo_fast", def.kind());
        assertEquals(1, def.sentPackets());
    }

    @Test
    void goingDownPurgesTheBacklogWithoutCountingDrops() {
        buffer("vif5.0", "ifb0", 10_000);
        Frame f = guest.sendIpv4(100);
        host.links().setUp("ifb0", false);
        Qdisc q = plugStats("ifb0");
        assertEquals(0, q.backlogPackets());
        assertEquals(0, q.drops());
        assertEquals(List.of(new Drop(f, "vif5.0", "purged: ifb0 went down")), host.drops());
    }

    @Test
    void deletingThePlugPurgesItAndTrafficThenFlowsThrough() {
        buffer("vif5.0", "ifb0", 10_000);
        Frame held = guest.sendIpv4(100);
        tc.deleteRoot("ifb0");
        assertEquals(List.of(new Drop(held, "vif5.0", "purged: the plug of ifb0 was deleted")), host.drops());
        Frame after = guest.sendIpv4(100);
        assertEquals(List.of(after), host.delivered("vif5.0"));
    }

    @Test
    void twoCheckpointsWithoutCommitStrandTheOlderEpoch() {
        buffer("vif5.0", "ifb0", 10_000);
        Frame a1 = guest.sendIpv4(100);
        guest.sendIpv4(100);
        plug(PlugAction.BUFFER, "ifb0");
        guest.sendIpv4(100);
        plug(PlugAction.BUFFER, "ifb0");
        plug(PlugAction.RELEASE_ONE, "ifb0");
        assertEquals(List.of(a1.id()), ids(host.delivered("vif5.0")),
                "only as many packets as the newer epoch had leave, and they are the older epoch's");
        assertEquals(2, plugStats("ifb0").backlogPackets());
    }

    @Test
    void oneActionDrivesSeveralPlugsAndTriesThemAll() {
        buffer("vif5.0", "ifb0", 10_000);
        buffer("vif5.1", "ifb1", 10_000);
        Frame a = guest.sendIpv4(100);
        Frame b = host.guest("vif5.1").sendIpv4(100);
        plug(PlugAction.BUFFER, "ifb0", "ifb1");
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.plug(List.of("ifb0", "nope", "ifb1"), PlugAction.RELEASE_ONE));
        assertEquals(19, e.errno().orElseThrow());
        assertEquals(List.of(a), host.delivered("vif5.0"));
        assertEquals(List.of(b), host.delivered("vif5.1"), "the plug after the failing device was released too");
    }

    @Test
    void framesOfADownVifAreDropped() {
        host.withLink("vif9.0", "veth", false);
        Frame f = host.guest("vif9.0").sendIpv4(100);
        assertEquals(List.of(new Drop(f, "vif9.0", "vif9.0 is down")), host.drops());
    }

    @Test
    void aFrameHeldWhenItsVifGoesAwayIsNotDelivered() {
        buffer("vif5.0", "ifb0", 10_000);
        Frame f = guest.sendIpv4(100);
        host.removeLink("vif5.0");
        plug(PlugAction.BUFFER, "ifb0");
        plug(PlugAction.RELEASE_ONE, "ifb0");
        assertEquals(List.of(new Drop(f, "vif5.0", "vif5.0 no longer exists")), host.drops());
        assertTrue(host.delivered("vif5.0").isEmpty());
    }
}
