package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.Protocols;
import io.netbuf.testkit.FakeHost;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Teardown of buffers this process did not attach, with the reference script's safety rule. */
class TeardownByDescriptionTest {
    /** A buffer set up by "someone else": the state Xen's script (or a crashed run) leaves. */
    private static FakeHost leftBehind(String claimedIfb) {
        FakeHost host = EngineFixtures.domain5(2);
        host.markClean();
        host.links().setUp("ifb0", true);
        host.trafficControl().addIngress(VIF);
        host.trafficControl().addRedirect(VIF, "ifb0", Protocols.ALL);
        host.trafficControl().addPlug("ifb0", 10_000);
        host.xenstore().write(XENBUS + "/ifb", claimedIfb);
        host.xenstore().write(XENBUS + "/hotplug-status", "connected");
        return host;
    }

    @Test
    void freesTheIfbWhenTheRecordNamesIt() {
        FakeHost host = leftBehind("ifb0");
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).teardown("ifb0");
        host.assertClean();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).teardown("ifb0");
        host.assertClean();
    }

    @Test
    void neverFreesAnIfbTheRecordDoesNotName() {
        FakeHost host = leftBehind("ifb1");
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).teardown("ifb0");
        assertTrue(host.trafficControl().redirectTargets(VIF).isEmpty(), "the vif's redirect is always removed");
        assertTrue(host.trafficControl().qdiscs("ifb0").stream().anyMatch(q -> q.kind().equals("plug")),
                "ifb0's plug stays: the record names ifb1");
        assertEquals(Optional.of("ifb1"), host.xenstore().read(XENBUS + "/ifb"), "someone else's claim stays");
        assertTrue(host.xenstore().read(XENBUS + "/hotplug-status").isEmpty());
    }

    @Test
    void withoutXenbusPathTheVifsRedirectIsTheEvidence() {
        FakeHost host = leftBehind("ifb0");
        host.fakeXenstore().rm(XENBUS + "/ifb");
        host.fakeXenstore().rm(XENBUS + "/hotplug-status");
        NetworkBuffer.forVif(VIF).on(host).teardown("ifb1");
        assertTrue(host.trafficControl().qdiscs("ifb0").stream().anyMatch(q -> q.kind().equals("plug")),
                "ifb0 is not the one named");
        NetworkBuffer.forVif(VIF).on(host).teardown("ifb0");
        assertTrue(host.trafficControl().qdiscs("ifb0").stream().anyMatch(q -> q.kind().equals("plug")),
                "the redirect was already gone, so nothing proves ifb0 served this vif");
    }

    @Test
    void withoutXenbusPathAndWithTheRedirectInPlaceTheIfbIsFreed() {
        FakeHost host = leftBehind("ifb0");
        host.fakeXenstore().rm(XENBUS + "/ifb");
        host.fakeXenstore().rm(XENBUS + "/hotplug-status");
        NetworkBuffer.forVif(VIF).on(host).teardown("ifb0");
        host.assertClean();
    }

    @Test
    void unknownIfbOnlyRemovesTheRedirectAndStatus() {
        FakeHost host = leftBehind("ifb0");
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).teardown(null);
        assertEquals(List.of(), host.trafficControl().redirectTargets(VIF));
        assertEquals(Optional.of("ifb0"), host.xenstore().read(XENBUS + "/ifb"));
    }

    @Test
    void aVifThatIsAlreadyGoneIsNotAnError() {
        FakeHost host = leftBehind("ifb0");
        host.removeLink(VIF);
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).teardown("ifb0");
        assertTrue(host.leaks().stream().allMatch(l -> l.contains(VIF)), host.leaks().toString());
    }
}
