package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.LockTimeoutException;
import io.netbuf.MissingKernelFeatureException;
import io.netbuf.MissingToolException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NoFreeIfbException;
import io.netbuf.PlugFailedException;
import io.netbuf.Protocols;
import io.netbuf.RedirectFailedException;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.testkit.Call;
import io.netbuf.testkit.FakeHost;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Attach and close on the fake host: what ends up on the host, and what is refused. */
class AttachTest {
    @Test
    void attachInstallsRedirectPlugAndClaimThenCloseRestoresTheHost() {
        FakeHost host = EngineFixtures.domain5(2);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).limit(123_456).on(host).attach()) {
            assertEquals("ifb0", buffer.ifb());
            assertEquals(123_456, buffer.limit());
            assertEquals(Optional.of(XENBUS), buffer.xenbusPath());
            assertTrue(host.links().find("ifb0").orElseThrow().up());
            Qdisc plug = root(host, "ifb0");
            assertEquals("plug", plug.kind());
            assertEquals(123_456, host.plugState("ifb0").orElseThrow().limit());
            assertEquals(List.of("ifb0"), host.trafficControl().redirectTargets(VIF));
            assertEquals(Optional.of("ifb0"), host.xenstore().read(XENBUS + "/ifb"));
            assertEquals(Optional.of("connected"), host.xenstore().read(XENBUS + "/hotplug-status"));
            assertTrue(host.heldLocks().isEmpty(), "the host lock is released after attach");
        }
        host.assertClean();
    }

    @Test
    void theIfbGetsNoIpv6AddressAndItsPlugBeforeItComesUpAndItsModeIsRestoredOnClose() {
        FakeHost host = EngineFixtures.domain5(1);
        host.links().setIpv6AddrGenMode("ifb0", Ipv6AddrGenMode.STABLE_PRIVACY);
        host.markClean();
        host.clearCalls();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
            assertEquals("ifb0", buffer.ifb());
            assertEquals(Optional.of(Ipv6AddrGenMode.NONE), host.ipv6AddrGenMode("ifb0"));
            List<Call> calls = host.callLog();
            int quiet = calls.indexOf(new Call("links.setIpv6AddrGenMode", List.of("ifb0", "NONE"), null));
            int plug = calls.indexOf(new Call("trafficControl.addPlug", List.of("ifb0", "10000000"), null));
            int up = calls.indexOf(new Call("links.setUp", List.of("ifb0", "true"), null));
            assertTrue(quiet >= 0 && quiet < up, "IPv6 autoconfiguration is off before the IFB comes up: " + calls);
            assertTrue(plug >= 0 && plug < up,
                    "the plug is on before the IFB comes up, so no default qdisc is attached: " + calls);
        }
        assertEquals(Optional.of(Ipv6AddrGenMode.STABLE_PRIVACY), host.ipv6AddrGenMode("ifb0"));
        host.assertClean();
    }

    @Test
    void aCreatedIfbComesUpWithoutIpv6Address() {
        FakeHost host = EngineFixtures.domain5(0);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            assertEquals(Optional.of(Ipv6AddrGenMode.NONE), host.ipv6AddrGenMode(buffer.ifb()));
            assertTrue(host.links().find(buffer.ifb()).orElseThrow().up());
        }
        host.assertClean();
    }

    @Test
    void theLimitIsSetInTheSameStepAsThePlug() {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            long plugCalls = host.calls().stream().filter(c -> c.startsWith("trafficControl.plug")).count();
            assertEquals(0, plugCalls, "no separate LIMIT change after the plug was added: " + host.calls());
            assertEquals(NetworkBuffer.DEFAULT_LIMIT, host.plugState(buffer.ifb()).orElseThrow().limit());
        }
    }

    @Test
    void skipsIfbsWithQdiscsAndIfbsClaimedByLiveDomains() {
        FakeHost host = EngineFixtures.domain5(4)
                .withXenstore("/local/domain/7/name", "guest7")
                .withXenstore("/libxl/7/remus/netbuf/0/ifb", "ifb1")
                .withXenstore("/libxl/9/remus/netbuf/0/ifb", "ifb2"); // domain 9 is gone: its claim is stale
        host.trafficControl().addPlug("ifb0", 1000);
        host.markClean();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
            assertEquals("ifb2", buffer.ifb(), "ifb0 has a qdisc, ifb1 is claimed by live domain 7");
        }
        host.assertClean();
    }

    @Test
    void pickingListsQdiscsOnceAndFiltersOnlyOfInterfacesWithAnIngressQdisc() {
        FakeHost host = EngineFixtures.domain5(2);
        for (int domain = 10; domain < 60; domain++) {
            host.withVif("vif" + domain + ".0");
        }
        // Someone else's capture: vif42.0's ingress redirects into ifb0, so ifb0 is not free.
        host.trafficControl().addIngress("vif42.0");
        host.trafficControl().addRedirect("vif42.0", "ifb0", Protocols.ALL);
        host.markClean();
        int before = host.calls().size();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            assertEquals("ifb1", buffer.ifb(), "ifb0 is the redirect target of vif42.0");
            List<Call> picked = host.callLog().subList(before, host.callLog().size());
            assertEquals(1, picked.stream().filter(c -> c.operation().equals("trafficControl.allQdiscs")).count(),
                    "one qdisc listing for the whole host: " + picked);
            assertEquals(List.of(List.of("vif42.0")), picked.stream()
                    .filter(c -> c.operation().equals("trafficControl.redirectTargets"))
                    .map(Call::arguments).toList(),
                    "filters are listed only where an ingress qdisc can hold them, not on the 51 other vifs");
            assertTrue(picked.stream().noneMatch(c -> c.operation().equals("trafficControl.qdiscs")),
                    "no per-interface qdisc listing: " + picked);
        }
        host.trafficControl().deleteIngress("vif42.0");
    }

    @Test
    void createsAnIfbWhenNoneIsFreeAndDeletesItOnClose() {
        FakeHost host = EngineFixtures.domain5(0).withLink("ifb0", "veth", false);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
            assertEquals("ifb1", buffer.ifb(), "ifb0 is taken by a non-IFB link");
            assertTrue(host.links().find("ifb1").orElseThrow().isIfb());
        }
        host.assertClean();
    }

    @Test
    void noFreeIfbWhenCreatingIsForbiddenNamesEveryReason() {
        FakeHost host = EngineFixtures.domain5(2)
                .withXenstore("/local/domain/7/name", "guest7")
                .withXenstore("/libxl/7/remus/netbuf/0/ifb", "ifb1");
        host.trafficControl().addPlug("ifb0", 1000);
        host.markClean();
        NoFreeIfbException e = assertThrows(NoFreeIfbException.class,
                () -> NetworkBuffer.forVif(VIF).createIfbWhenNoneFree(false).on(host).attach());
        assertEquals(Set.of("ifb0", "ifb1"), e.busy().keySet());
        assertTrue(e.busy().get("ifb0").contains("plug"), e.busy().toString());
        assertTrue(e.busy().get("ifb1").contains("/libxl/7/remus/netbuf/0"), e.busy().toString());
        assertEquals(Optional.of(VIF), e.vif());
        host.assertClean();
    }

    @Test
    void missingKernelFeatureIsReportedBeforeAnyChange() {
        FakeHost host = EngineFixtures.domain5(1).withoutFeature(KernelFeature.PLUG);
        MissingKernelFeatureException e = assertThrows(MissingKernelFeatureException.class,
                () -> NetworkBuffer.forVif(VIF).on(host).attach());
        assertEquals(Set.of(KernelFeature.PLUG), e.missing());
        assertTrue(e.getMessage().contains("sch_plug"), e.getMessage());
        host.assertClean();
    }

    @Test
    void missingToolIsReportedAndNothingLeaks() {
        FakeHost host = EngineFixtures.domain5(1).withoutTool("tc");
        MissingToolException e = assertThrows(MissingToolException.class,
                () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
        assertEquals("tc", e.tool());
        assertEquals("iproute2", e.debianPackage());
        assertHotplugError(host);
    }

    @Test
    void missingVifIsARedirectFailureBeforeAnyChange() {
        FakeHost host = EngineFixtures.domain5(1);
        RedirectFailedException e = assertThrows(RedirectFailedException.class,
                () -> NetworkBuffer.forVif("vif9.0").on(host).attach());
        assertTrue(e.getMessage().contains("vif9.0"), e.getMessage());
        host.assertClean();
    }

    @Test
    void lockHeldElsewhereTimesOutWithTheBoundedWait() throws Exception {
        FakeHost host = EngineFixtures.domain5(1);
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, Duration.ZERO)) {
            host.markClean();
            LockTimeoutException e = assertThrows(LockTimeoutException.class,
                    () -> NetworkBuffer.forVif(VIF).lockTimeout(Duration.ofMillis(50)).on(host).attach());
            assertEquals(Duration.ofMillis(50), e.timeout());
            host.assertClean();
        }
    }

    @Test
    void plugFailureRollsBackAndRecordsHotplugError() {
        FakeHost host = EngineFixtures.domain5(1);
        host.faults().failOn("trafficControl.addPlug");
        PlugFailedException e = assertThrows(PlugFailedException.class,
                () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
        assertEquals(Optional.of("ifb0"), e.ifb());
        assertHotplugError(host);
        String error = host.xenstore().read(XENBUS + "/hotplug-error").orElseThrow();
        assertTrue(error.contains("plug"), error);
    }

    @Test
    void ipv4OnlyCompatibilityModeLetsIpv6AndArpBypassTheBuffer() {
        FakeHost host = EngineFixtures.domain5(1);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).protocols(Protocols.IPV4_ONLY).on(host).attach()) {
            var v4 = host.guest(VIF).sendIpv4(100);
            var v6 = host.guest(VIF).sendIpv6(100);
            var arp = host.guest(VIF).sendArp();
            assertEquals(List.of(v6, arp), host.delivered(VIF), "only IPv4 is held");
            buffer.checkpoint();
            buffer.commit();
            assertEquals(List.of(v6, arp, v4), host.delivered(VIF));
        }
    }

    @Test
    void closeIsIdempotentAndTheHandleRefusesUseAfterClose() {
        FakeHost host = EngineFixtures.domain5(1);
        NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach();
        buffer.close();
        host.clearCalls();
        buffer.close();
        assertTrue(host.calls().isEmpty(), "second close touched the host: " + host.calls());
        assertTrue(buffer.isClosed());
        assertThrows(IllegalStateException.class, buffer::checkpoint);
        assertThrows(IllegalStateException.class, buffer::commit);
        assertThrows(IllegalStateException.class, buffer::releaseIndefinitely);
        assertThrows(IllegalStateException.class, buffer::stats);
        host.assertClean();
    }

    @Test
    void aFailedCloseCanBeRetriedUntilTheHostIsClean() {
        FakeHost host = EngineFixtures.domain5(1);
        NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
        host.faults().failNth("trafficControl.deleteRoot", 1);
        assertThrows(io.netbuf.OperationFailedException.class, buffer::close);
        assertEquals(List.of("added: qdisc ifb0 root = plug"), host.leaks().stream()
                .filter(l -> l.contains("qdisc")).toList());
        buffer.close();
        host.assertClean();
    }

    private static Qdisc root(FakeHost host, String dev) {
        return host.trafficControl().qdiscs(dev).stream()
                .filter(q -> q.parent() == TrafficControl.ROOT && q.isExplicit())
                .findFirst().orElseThrow();
    }

    /** The host is clean except for the two records libxl reads on failure. */
    static void assertHotplugError(FakeHost host) {
        assertEquals(Optional.of("error"), host.xenstore().read(XENBUS + "/hotplug-status"));
        assertTrue(host.xenstore().read(XENBUS + "/hotplug-error").isPresent());
        List<String> leaks = host.leaks();
        assertEquals(2, leaks.size(), "leaks: " + leaks);
        assertTrue(leaks.stream().allMatch(l -> l.contains("/hotplug-")), "leaks: " + leaks);
        assertFalse(host.xenstore().exists(XENBUS + "/ifb"), "the IFB claim was rolled back");
    }
}
