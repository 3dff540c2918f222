package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.Protocols;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Set-up calls made in the middle of a test ({@code addIfb}, {@code removeLink}, {@code withXenstore})
 * make what they did part of the clean state, and nothing else: what the code under test did
 * before, meanwhile or as a consequence stays a leak until it is undone.
 */
class MidTestSetupLeakCheckTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(2);

    /** What an attach on ifb0 leaves on the kernel. */
    private void bufferVif5OnIfb0() {
        host.links().setUp("ifb0", true);
        host.trafficControl().addPlug("ifb0", 1000);
        host.trafficControl().addIngress("vif5.0");
        host.trafficControl().addRedirect("vif5.0", "ifb0", Protocols.IPV4_ONLY);
    }

    @Test
    void removingTheIfbOfABufferThenTearingTheBufferDownIsClean() {
        bufferVif5OnIfb0();
        host.removeLink("ifb0");
        host.trafficControl().deleteIngress("vif5.0");
        host.assertClean();
    }

    @Test
    void aRedirectLeftPointingAtARemovedIfbIsStillALeak() {
        bufferVif5OnIfb0();
        host.removeLink("ifb0");
        assertEquals(List.of(
                "added: filter vif5.0 ingress #1 = u32 protocol ip mirred egress redirect dev ifb0 (gone)",
                "added: qdisc vif5.0 ingress = ingress"), host.leaks());
    }

    @Test
    void aRedirectThatWasCleanFollowsItsRemovedTarget() {
        bufferVif5OnIfb0();
        host.markClean();
        host.removeLink("ifb0");
        host.assertClean();
    }

    @Test
    void removingAVifWithItsBufferLeavesOnlyTheIfbsChanges() {
        bufferVif5OnIfb0();
        host.removeLink("vif5.0");
        assertEquals(List.of("changed: link ifb0 = ifb, up (was ifb, down)", "added: qdisc ifb0 root = plug"),
                host.leaks());
    }

    @Test
    void aNodeTheSetUpWritesOverIsTheSetUpsValue() {
        host.xenstore().write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
        host.withXenstore("/libxl/5/remus/netbuf/0/ifb", "ifb1");
        host.assertClean();
    }

    @Test
    void whatAWatchDoesInReactionToASetUpChangeIsNotSetUp() {
        host.fakeXenstore().watch("/local/domain/7", "reaction", (path, token) -> {
            if (path.equals("/local/domain/7/name")) {
                host.trafficControl().addIngress("vif5.0");
            }
        });
        host.withXenstore("/local/domain/7/name", "guest7");
        assertEquals(List.of("added: qdisc vif5.0 ingress = ingress"), host.leaks());
    }

    @Test
    void setUpWhileTheCodeUnderTestRunsAbsorbsNoneOfItsChanges() throws Exception {
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Void> toggling = CompletableFuture.runAsync(() -> {
            while (!done.get()) {
                host.trafficControl().addIngress("vif5.0");
                host.trafficControl().deleteIngress("vif5.0");
            }
        });
        for (int i = 2; i < 1002; i++) {
            host.addIfb("ifb" + i);
        }
        done.set(true);
        toggling.get(30, TimeUnit.SECONDS);
        host.assertClean();
    }
}
