package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.Protocols;
import io.netbuf.spi.HostLock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class LeakCheckTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(2)
            .withXenstore("/libxl/5/remus/netbuf/0", "");

    @Test
    void aFreshHostIsClean() {
        assertEquals(List.of(), host.leaks());
        host.assertClean();
    }

    @Test
    void namesEachLeakedThing() {
        host.links().createIfb("ifb2");
        host.links().setUp("ifb0", true);
        host.trafficControl().addIngress("vif5.0");
        host.trafficControl().addRedirect("vif5.0", "ifb0", Protocols.IPV4_ONLY);
        host.trafficControl().addPlug("ifb0", 1000);
        host.xenstore().write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
        host.links().deleteIfb("ifb1");
        assertEquals(List.of(
                "added: filter vif5.0 ingress #1 = u32 protocol ip mirred egress redirect dev ifb0",
                "changed: link ifb0 = ifb, up (was ifb, down)",
                "added: link ifb2 = ifb, down",
                "added: qdisc ifb0 root = plug",
                "added: qdisc vif5.0 ingress = ingress",
                "added: xenstore /libxl/5/remus/netbuf/0/ifb = ifb0",
                "removed: link ifb1 (was ifb, down)"), host.leaks());
        AssertionError e = assertThrows(AssertionError.class, host::assertClean);
        assertTrue(e.getMessage().contains("added: qdisc ifb0 root = plug"), e::getMessage);
    }

    @Test
    void aHeldLockIsALeakUntilReleased() {
        HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, Duration.ofSeconds(1));
        assertEquals(List.of("added: lock pickifb = held by thread " + Thread.currentThread().getName()),
                host.leaks());
        held.close();
        host.assertClean();
    }

    @Test
    void kernelDefaultQdiscsAreNotLeaks() {
        host.links().setUp("ifb0", true);
        host.trafficControl().addPlug("ifb0", 1000);
        host.trafficControl().deleteRoot("ifb0");
        host.links().setUp("ifb0", false);
        assertEquals("pfifo_fast", host.trafficControl().qdiscs("ifb0").get(0).kind());
        host.assertClean();
    }

    @Test
    void markCleanMovesTheBaseline() {
        host.xenstore().write("/local/domain/5/name", "guest");
        host.markClean();
        host.assertClean();
        host.xenstore().write("/local/domain/5/name", "renamed");
        assertEquals(List.of("changed: xenstore /local/domain/5/name = renamed (was guest)"), host.leaks());
    }

    @Test
    void setupDuringATestIsNotALeak() {
        host.links().setUp("ifb1", true);
        host.addVif("vif6.0");
        host.addIfb("ifb9");
        host.removeLink("ifb0");
        assertEquals(List.of("changed: link ifb1 = ifb, up (was ifb, down)"), host.leaks());
    }
}
