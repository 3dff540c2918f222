package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InsufficientPrivilegeException;
import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.NetworkBufferException;
import io.netbuf.XenstoreException;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.testkit.FakeHost;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A failure is reported as what it is, not as what it may lead to. */
class TruthfulHintsTest {
    @Test
    void aXenstoreFailureWhileLookingForAnIfbToCreateIsAXenstoreFailureNotNoFreeIfb() {
        FakeHost fake = EngineFixtures.domain5(1);
        fake.trafficControl().addPlug("ifb0", 1000); // someone's IFB: none is free, so the attach creates one
        fake.markClean();
        // the store seen without a change feed: each claim scan is a transaction that lists /local/domain
        Host host = new BasicHost("no change feed", fake.links(), fake.trafficControl(), fake.xenstore(),
                fake.lock(), fake.features());
        fake.faults().failNth("xenstore.list", 3); // the scan before creating an IFB (the first scan lists twice)
        NetworkBufferException e = assertThrows(NetworkBufferException.class,
                () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
        XenstoreException xs = assertThrows(XenstoreException.class, () -> {
            throw e;
        }, "a XenstoreException, not " + e);
        assertEquals("EIO", xs.errno());
        assertFalse(e.getMessage().contains("no free IFB"), e.getMessage());
        assertTrue(fake.links().find("ifb1").isEmpty(), "no IFB was created");
        fake.faults().clear();
        fake.fakeXenstore().rm(XENBUS + "/hotplug-status");
        fake.fakeXenstore().rm(XENBUS + "/hotplug-error");
        fake.assertClean();
    }
    @Test
    void aKernelRefusalForLackOfPrivilegeSaysRootNotModprobe() {
        FakeHost host = EngineFixtures.domain5(1).markClean();
        host.faults().failOn("trafficControl.addPlug", () -> OperationFailedException.ofErrno("add plug qdisc to ifb0",
                1, "Operation not permitted", null, "ifb0"));
        InsufficientPrivilegeException e = assertThrows(InsufficientPrivilegeException.class,
                () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
        assertTrue(e.getMessage().contains("needs root") && !e.getMessage().contains("modprobe"), e.getMessage());
        assertEquals(java.util.Optional.of(VIF), e.vif());
        assertTrue(host.fakeXenstore().read(XENBUS + "/hotplug-error").orElseThrow().contains("needs root"));
        host.faults().clear();
        assertEquals(List.of("added: xenstore " + XENBUS + "/hotplug-error", "added: xenstore " + XENBUS
                + "/hotplug-status = error"), host.leaks().stream().map(l -> l.replaceAll(" = .*needs root.*", ""))
                .toList(), "rolled back; only the error record for libxl");
    }

    @Test
    void aToolsRefusalAndALockFileRefusalSayRootToo() {
        FakeHost host = EngineFixtures.domain5(1);
        host.faults().failOn("trafficControl.addIngress", () -> OperationFailedException.ofCommand("add ingress qdisc",
                List.of("tc", "qdisc", "add", "dev", VIF, "ingress"), 2,
                "RTNETLINK answers: Operation not permitted", VIF, null));
        assertThrows(InsufficientPrivilegeException.class, () -> NetworkBuffer.forVif(VIF).on(host).attach());
        host.faults().clear();
        host.faults().failOn("lock.acquire", () -> OperationFailedException.ofErrno(
                "open host lock file /var/run/xen-hotplug/pickifb", 13, "Permission denied", null, null));
        InsufficientPrivilegeException reap = assertThrows(InsufficientPrivilegeException.class,
                () -> NetworkBuffer.reap(host));
        assertTrue(reap.getMessage().startsWith("reap needs root"), reap.getMessage());
        host.faults().clear();
        host.faults().failOn("trafficControl.qdiscs", () -> OperationFailedException.ofErrno("list qdiscs of " + VIF,
                1, "Operation not permitted", VIF, null));
        assertThrows(InsufficientPrivilegeException.class, () -> NetworkBuffer.forVif(VIF).on(host).teardown(null));
        host.faults().clear();
        host.assertClean();
    }

    @Test
    void otherRefusalsKeepTheirTypeAndTheModuleHint() {
        FakeHost host = EngineFixtures.domain5(1);
        host.faults().failOn("trafficControl.addPlug", () -> OperationFailedException.ofErrno("add plug qdisc to ifb0",
                2, "Specified qdisc kind is unknown", null, "ifb0"));
        io.netbuf.PlugFailedException e = assertThrows(io.netbuf.PlugFailedException.class,
                () -> NetworkBuffer.forVif(VIF).on(host).attach());
        assertTrue(e.getMessage().contains("modprobe sch_plug"), e.getMessage());
    }
}
