package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferInUseException;
import io.netbuf.BufferStateMismatchException;
import io.netbuf.LockTimeoutException;
import io.netbuf.NetworkBuffer;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A restarted controller takes over the buffer its previous run left, or is told what differs. */
class AdoptTest {
    /**
     * The same fake kernel and store seen through another {@link Host} object, as another process
     * (a previous run) sees the machine: its handles are not this JVM's live handles on {@code host}.
     */
    static Host previousRun(FakeHost host) {
        return new BasicHost("previous run", host.links(), host.trafficControl(), host.xenstore(), host.lock(),
                host.features());
    }

    /** A host where a previous run attached a buffer on VIF and died without closing it. */
    private static FakeHost leftByPreviousRun(boolean withXenbusPath) {
        FakeHost host = EngineFixtures.domain5(2);
        NetworkBuffer.Builder previous = NetworkBuffer.forVif(VIF).on(previousRun(host));
        if (withXenbusPath) {
            previous.xenbusPath(XENBUS);
        }
        assertEquals("ifb0", previous.attach().ifb());
        host.clearCalls();
        return host;
    }

    @Test
    void adoptsTheClaimedBufferAndDrivesItsEpochs() {
        FakeHost host = leftByPreviousRun(true);
        host.guest(VIF).sendIpv4(100);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).limit(50_000).on(host).adopt()) {
            assertEquals("ifb0", buffer.ifb());
            assertEquals(50_000, buffer.limit());
            assertEquals(50_000, host.plugState("ifb0").orElseThrow().limit(), "adopt applies the builder's limit");
            assertThrows(IllegalStateException.class, buffer::commit, "adopted as after a commit: no closed epoch");
            buffer.checkpoint();
            Frame later = host.guest(VIF).sendIpv4(200);
            buffer.commit();
            assertEquals(List.of(100), host.delivered(VIF).stream().map(Frame::length).toList(),
                    "the epoch closed by the adopter's checkpoint leaves; the later frame is held");
            buffer.checkpoint();
            buffer.commit();
            assertEquals(later, host.delivered(VIF).get(1));
        }
        host.assertClean();
        assertTrue(host.links().find("ifb0").isPresent(), "an adopted IFB is freed, never deleted");
    }

    @Test
    void withoutXenbusPathTheVifsRedirectNamesTheIfb() {
        FakeHost host = leftByPreviousRun(false);
        NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).adopt();
        assertEquals("ifb0", buffer.ifb());
        assertEquals(Optional.empty(), buffer.xenbusPath());
        buffer.checkpoint();
        buffer.commit();
        buffer.close();
        assertTrue(host.trafficControl().redirectTargets(VIF).isEmpty());
        assertTrue(host.plugState("ifb0").isEmpty());
    }

    @Test
    void anIfbCreatedByThePreviousRunIsKeptOnClose() {
        FakeHost host = EngineFixtures.domain5(0);
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(previousRun(host)).attach();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt().close();
        assertEquals(List.of("added: link ifb0 = ifb, down"), host.leaks());
    }

    @Test
    void aBufferDrivenByALiveHandleOfThisJvmIsNotAdoptedAgain() {
        FakeHost host = EngineFixtures.domain5(2);
        NetworkBuffer live = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
        host.clearCalls();
        BufferInUseException e = assertThrows(BufferInUseException.class,
                () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt());
        assertEquals(Optional.of(VIF), e.vif());
        assertEquals(Optional.of("ifb0"), e.ifb());
        assertTrue(e.getMessage().contains(VIF) && e.getMessage().contains("ifb0"), e.getMessage());
        assertTrue(host.callLog().stream().noneMatch(c -> c.operation().matches(
                ".*\\.(write|rm|mkdir|setUp|addIngress|deleteIngress|addRedirect|addPlug|deleteRoot|plug)")),
                "nothing changed: " + host.calls());
        // the same IFB reached through the vif's redirect (no xenbus path)
        assertThrows(BufferInUseException.class, () -> NetworkBuffer.forVif(VIF).on(host).adopt());
        live.checkpoint();
        live.commit();
        live.close();
        host.assertClean();
    }

    @Test
    void onceTheLiveHandleIsClosedItsLeftoverMayBeAdopted() {
        FakeHost host = EngineFixtures.domain5(2);
        host.addVif("vif5.1");
        host.markClean();
        NetworkBuffer other = NetworkBuffer.forVif("vif5.1").on(host).attach();
        other.close();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(previousRun(host)).attach();
        try (NetworkBuffer adopted = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt()) {
            assertEquals("ifb0", adopted.ifb());
            assertThrows(BufferInUseException.class,
                    () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt(), "the adopter is live too");
        }
        host.assertClean();
    }

    @Test
    void theVerificationRunsUnderTheHostLock() {
        FakeHost host = leftByPreviousRun(true);
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, Duration.ofSeconds(1))) {
            host.clearCalls();
            assertThrows(LockTimeoutException.class, () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS)
                    .lockTimeout(Duration.ofMillis(50)).on(host).adopt());
            assertEquals(List.of("lock.acquire"), host.calls(), "nothing read or changed without the lock");
        }
    }

    // ------------------------------------------------------------------ mismatches

    private static BufferStateMismatchException mismatch(boolean withXenbusPath, Consumer<FakeHost> change) {
        FakeHost host = leftByPreviousRun(withXenbusPath);
        change.accept(host);
        host.markClean();
        host.clearCalls();
        NetworkBuffer.Builder adopter = NetworkBuffer.forVif(VIF).on(host);
        if (withXenbusPath) {
            adopter.xenbusPath(XENBUS);
        }
        BufferStateMismatchException e = assertThrows(BufferStateMismatchException.class, adopter::adopt);
        host.assertClean();
        assertTrue(host.callLog().stream().noneMatch(c -> c.operation().matches(
                ".*\\.(write|rm|mkdir|setUp|createIfb|deleteIfb|addIngress|deleteIngress|addRedirect|addPlug|"
                        + "deleteRoot|plug)")), "a mismatch changes nothing: " + host.calls());
        assertTrue(e.getMessage().contains("reap"), e.getMessage());
        assertEquals(Optional.of(VIF), e.vif());
        return e;
    }

    @Test
    void noClaim() {
        BufferStateMismatchException e = mismatch(true, h -> h.fakeXenstore().rm(XENBUS + "/ifb"));
        assertEquals(List.of("there is no claim at " + XENBUS + "/ifb"), e.differences());
        assertEquals(Optional.empty(), e.ifb());
    }

    @Test
    void claimNamesAnotherIfbThanTheRedirect() {
        BufferStateMismatchException e = mismatch(true, h -> h.fakeXenstore().write(XENBUS + "/ifb", "ifb1"));
        assertEquals(Optional.of("ifb1"), e.ifb());
        assertEquals(List.of(VIF + "'s ingress redirects to [ifb0], not to ifb1 alone", "ifb1 is down",
                "ifb1 has no root plug (root qdisc: kernel default)"), e.differences());
    }

    @Test
    void claimHoldsSomethingThatIsNoInterfaceName() {
        BufferStateMismatchException e = mismatch(true, h -> h.fakeXenstore().write(XENBUS + "/ifb", "../ifb 0"));
        assertEquals(List.of(XENBUS + "/ifb holds \"../ifb 0\", which is not an interface name"), e.differences());
    }

    @Test
    void ifbDownAndPlugGone() {
        BufferStateMismatchException e = mismatch(true, h -> {
            h.links().setUp("ifb0", false);
            h.trafficControl().deleteRoot("ifb0");
        });
        assertEquals(List.of("ifb0 is down", "ifb0 has no root plug (root qdisc: kernel default)"), e.differences());
    }

    @Test
    void vifGone() {
        BufferStateMismatchException e = mismatch(true, h -> h.removeLink(VIF));
        assertEquals(List.of("vif " + VIF + " does not exist"), e.differences());
    }

    @Test
    void ifbGone() {
        BufferStateMismatchException e = mismatch(true, h -> h.removeLink("ifb0"));
        assertTrue(e.differences().contains("ifb0 does not exist"), e.differences().toString());
    }

    @Test
    void redirectGone() {
        BufferStateMismatchException e = mismatch(true, h -> h.trafficControl().deleteIngress(VIF));
        assertEquals(List.of(VIF + "'s ingress redirects nowhere"), e.differences());
    }

    @Test
    void withoutXenbusPathAVifThatRedirectsNowhereHasNothingToAdopt() {
        BufferStateMismatchException e = mismatch(false, h -> h.trafficControl().deleteIngress(VIF));
        assertEquals(List.of(VIF + "'s ingress redirects nowhere"), e.differences());
    }
}
