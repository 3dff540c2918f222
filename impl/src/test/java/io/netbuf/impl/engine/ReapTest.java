package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.LockTimeoutException;
import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.ReapFinding;
import io.netbuf.ReapFinding.Kind;
import io.netbuf.ReapReport;
import io.netbuf.spi.HostLock;
import io.netbuf.testkit.FakeHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reap: what earlier buffers left behind is found, and exactly that is removed. */
class ReapTest {
    private static final String XENBUS7 = "/libxl/7/remus/netbuf/0";

    @Test
    void aHostWithOnlyLiveBuffersIsClean() {
        FakeHost host = EngineFixtures.domain5(3).withVif("vif5.1");
        host.markClean();
        try (NetworkBuffer a = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
                NetworkBuffer b = NetworkBuffer.forVif("vif5.1").on(host).attach()) {
            host.clearCalls();
            ReapReport report = NetworkBuffer.reap(host);
            assertTrue(report.isClean(), report.toString());
            assertEquals(List.of(), report.apply());
            assertTrue(host.calls().stream().noneMatch(c -> c.matches(
                    ".*\\.(write|rm|setUp|deleteIngress|deleteRoot|deleteIfb)")), host.calls().toString());
            a.checkpoint();
            b.checkpoint();
            a.commit();
            b.commit();
        }
        host.assertClean();
    }

    @Test
    void claimsOfDomainsThatNoLongerExistAreRemovedWithTheirHotplugStatus() {
        FakeHost host = EngineFixtures.domain5(2)
                .withXenstore(XENBUS7, "")
                .withXenstore("/libxl/9/remus/netbuf/1/ifb", "ifb1")
                .withXenstore("/libxl/9/remus/netbuf/1/hotplug-status", "connected")
                .withXenstore("/libxl/9/remus/netbuf/1/hotplug-error", "old failure")
                .withXenstore("/libxl/9/remus/netbuf/1/other", "kept");
        ReapReport report = NetworkBuffer.reap(host);
        ReapFinding stale = new ReapFinding(Kind.STALE_CLAIM, "/libxl/9/remus/netbuf/1", null, "ifb1");
        assertEquals(List.of(stale), report.findings());
        assertEquals(List.of(stale), report.apply());
        assertEquals(List.of("removed: xenstore /libxl/9/remus/netbuf/1/hotplug-error (was old failure)",
                "removed: xenstore /libxl/9/remus/netbuf/1/hotplug-status (was connected)",
                "removed: xenstore /libxl/9/remus/netbuf/1/ifb (was ifb1)"), host.leaks());
        assertTrue(host.heldLocks().isEmpty());
    }

    /** The state an attach leaves when its process dies after the redirect and before the plug. */
    private static FakeHost diedBeforeThePlug() {
        FakeHost host = EngineFixtures.domain5(2);
        host.markClean();
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.links().setUp("ifb0", true);
        host.trafficControl().addIngress(VIF);
        host.trafficControl().addRedirect(VIF, "ifb0", Protocols.ALL);
        return host;
    }

    @Test
    void anAttachThatDiedBeforeItsPlugIsUndone() {
        FakeHost host = diedBeforeThePlug();
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(List.of(new ReapFinding(Kind.UNPLUGGED_CLAIM, XENBUS, null, "ifb0"),
                new ReapFinding(Kind.DANGLING_REDIRECT, null, VIF, "ifb0")), report.findings());
        assertEquals(report.findings(), report.apply());
        host.assertClean();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
            assertEquals("ifb0", buffer.ifb(), "the IFB is free again");
        }
        host.assertClean();
    }

    @Test
    void anAttachThatDiedBetweenItsIngressQdiscAndItsRedirectIsUndone() {
        FakeHost host = EngineFixtures.domain5(2);
        host.markClean();
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.links().setUp("ifb0", true);
        host.trafficControl().addIngress(VIF);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(List.of(new ReapFinding(Kind.UNPLUGGED_CLAIM, XENBUS, null, "ifb0"),
                new ReapFinding(Kind.DANGLING_REDIRECT, null, VIF, "ifb0")), report.findings());
        report.apply();
        host.assertClean();
    }

    @Test
    void anIngressQdiscWithoutRedirectOnAVifNoClaimNamesIsNotNetbufs() {
        FakeHost host = EngineFixtures.domain5(1);
        host.trafficControl().addIngress(VIF);
        assertTrue(NetworkBuffer.reap(host).isClean());
    }

    @Test
    void aRedirectIntoAnIfbThatAnotherLiveClaimNamesLeavesThatIfbUp() {
        FakeHost host = diedBeforeThePlug().withXenstore("/local/domain/7/name", "guest7");
        host.xenstore().write(XENBUS7 + "/ifb", "ifb0");
        host.xenstore().write(XENBUS + "/ifb", "ifb1");
        ReapReport report = NetworkBuffer.reap(host);
        report.apply();
        assertTrue(host.trafficControl().redirectTargets(VIF).isEmpty());
        assertFalse(host.xenstore().exists(XENBUS7 + "/ifb"), "domain 7's claim of plug-less ifb0 goes too");
        assertFalse(host.links().find("ifb0").orElseThrow().up(), "ifb0 is no longer used by anyone");
    }

    @Test
    void aPlugNobodyClaimsOrRedirectsToIsRemovedAndItsIfbSetDown() {
        FakeHost host = EngineFixtures.domain5(2);
        host.markClean();
        host.links().setUp("ifb1", true);
        host.trafficControl().addPlug("ifb1", 1000);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(List.of(new ReapFinding(Kind.ORPHAN_PLUG, null, null, "ifb1")), report.findings());
        report.apply();
        host.assertClean();
    }

    @Test
    void aDeadDomainWhoseVifIsGoneLeavesAStaleClaimAndAnOrphanPlug() {
        FakeHost host = EngineFixtures.domain5(2);
        host.markClean();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
        host.fakeXenstore().rm("/local/domain/5");
        host.removeLink(VIF);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(List.of(new ReapFinding(Kind.STALE_CLAIM, XENBUS, null, "ifb0"),
                new ReapFinding(Kind.ORPHAN_PLUG, null, null, "ifb0")), report.findings());
        report.apply();
        // removeLink is a setup step (part of the clean state); the domain's own nodes were removed by "Xen"
        assertEquals(List.of("removed: xenstore /local/domain/5 (was )",
                "removed: xenstore /local/domain/5/name (was guest5)"), host.leaks());
    }

    @Test
    void somethingRepairedBetweenScanAndApplyIsLeftAlone() {
        FakeHost host = EngineFixtures.domain5(2);
        host.links().setUp("ifb1", true);
        host.trafficControl().addPlug("ifb1", 1000);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(1, report.findings().size());
        // A live domain claims it now and its vif redirects into it: a working buffer.
        host.xenstore().write("/libxl/5/remus/netbuf/1/ifb", "ifb1");
        host.trafficControl().addIngress(EngineFixtures.VIF);
        host.trafficControl().addRedirect(EngineFixtures.VIF, "ifb1", io.netbuf.Protocols.ALL);
        assertEquals(List.of(), report.apply());
        assertTrue(host.plugState("ifb1").isPresent());
        assertTrue(host.links().find("ifb1").orElseThrow().up());
    }

    @Test
    void somethingLeftAfterTheScanIsNotRemovedByThatScansApply() {
        FakeHost host = EngineFixtures.domain5(2);
        ReapReport report = NetworkBuffer.reap(host);
        assertTrue(report.isClean());
        host.trafficControl().addPlug("ifb1", 1000);
        assertEquals(List.of(), report.apply());
        assertTrue(host.plugState("ifb1").isPresent());
        assertEquals(1, NetworkBuffer.reap(host).findings().size(), "a new scan sees it");
    }

    @Test
    void aRedirectIntoADeviceThatIsNotABareIfbIsNotNetbufs() {
        FakeHost host = EngineFixtures.domain5(1).withLink("veth9", "veth", true);
        host.trafficControl().addIngress(VIF);
        host.trafficControl().addRedirect(VIF, "veth9", Protocols.ALL);
        assertTrue(NetworkBuffer.reap(host).isClean());
    }

    @Test
    void aFailedRemovalDoesNotStopTheOthersAndIsThrown() {
        FakeHost host = diedBeforeThePlug();
        host.links().setUp("ifb1", true);
        host.trafficControl().addPlug("ifb1", 1000);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(3, report.findings().size(), report.toString());
        host.faults().failOn("trafficControl.deleteIngressFilter"); // the redirect filter cannot be removed
        OperationFailedException e = assertThrows(OperationFailedException.class, report::apply);
        assertTrue(e.getMessage().contains("injected") || e.getMessage().contains("deleteIngress"), e.getMessage());
        assertFalse(host.xenstore().exists(XENBUS + "/ifb"), "the claim was still removed");
        assertTrue(host.plugState("ifb1").isEmpty(), "the orphan plug was still removed");
        assertEquals(List.of("ifb0"), host.trafficControl().redirectTargets(VIF));
        assertTrue(host.links().find("ifb0").orElseThrow().up(), "ifb0 stays up while the vif redirects to it");
        assertTrue(host.heldLocks().isEmpty());
    }

    @Test
    void scanAndApplyWaitForTheHostLock() {
        FakeHost host = diedBeforeThePlug();
        ReapReport report = NetworkBuffer.reap(host);
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, Duration.ofSeconds(1))) {
            // An attach in progress holds the lock; its half-done state must not be reaped.
            Thread reaper = new Thread(report::apply);
            reaper.start();
            reaper.join(200);
            assertTrue(reaper.isAlive(), "apply waits for the lock");
            assertEquals(List.of("ifb0"), host.trafficControl().redirectTargets(VIF));
            held.close();
            reaper.join(5_000);
            assertFalse(reaper.isAlive());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
        host.assertClean();
    }

    @Test
    void aLockThatIsNeverGrantedIsATimeout() {
        FakeHost host = EngineFixtures.domain5(1);
        host.faults().failOn("lock.acquire", () -> new LockTimeoutException(HostLock.PICK_IFB, Duration.ofSeconds(30),
                null));
        LockTimeoutException e = assertThrows(LockTimeoutException.class, () -> NetworkBuffer.reap(host));
        assertEquals(HostLock.PICK_IFB, e.lock());
        assertEquals(List.of("lock.acquire"), host.calls());
    }

    @Test
    void findingsDescribeThemselves() {
        assertEquals("/libxl/9/remus/netbuf/1/ifb = ifb1: claim of a domain that no longer exists",
                new ReapFinding(Kind.STALE_CLAIM, "/libxl/9/remus/netbuf/1", null, "ifb1").describe());
        assertEquals("vif5.0 -> ifb0: redirect into an IFB that has no plug",
                new ReapFinding(Kind.DANGLING_REDIRECT, null, "vif5.0", "ifb0").describe());
        assertThrows(IllegalArgumentException.class, () -> new ReapFinding(Kind.ORPHAN_PLUG, XENBUS, null, "ifb0"));
        assertThrows(IllegalArgumentException.class, () -> new ReapFinding(Kind.DANGLING_REDIRECT, null, null, "ifb0"));
    }
}
