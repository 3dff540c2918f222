package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import org.junit.jupiter.api.Test;

/**
 * A domain dying on a FakeHost ({@link FakeHost#removeDomain}, set-up, not a leak) reaches the
 * engine's watch-fed claim index: the dead domain's claim no longer holds its IFB.
 */
class DomainDeathTest {
    @Test
    void theClaimOfADomainThatDiedNoLongerCounts() {
        FakeHost host = EngineFixtures.domain5(2)
                .withXenstore("/local/domain/7/name", "guest7")
                .withXenstore("/libxl/7/remus/netbuf/0/ifb", "ifb0");
        try (NetworkBuffer buffer = attach(host)) {
            assertEquals("ifb1", buffer.ifb(), "ifb0 is claimed by domain 7");
        }
        host.removeDomain(7);
        try (NetworkBuffer buffer = attach(host)) {
            assertEquals("ifb0", buffer.ifb(), "domain 7 is gone: its claim went with it");
        }
        host.assertClean();
    }

    @Test
    void aDomainThatDiesWithItsBufferAttachedLeavesOnlyTheKernelSideForTheReaper() {
        FakeHost host = EngineFixtures.domain5(2);
        NetworkBuffer buffer = attach(host);
        host.removeDomain(5);
        host.removeLink(VIF);
        NetworkBuffer.reap(host).apply();
        host.assertClean();
        buffer.close();
        host.assertClean();
    }

    private static NetworkBuffer attach(FakeHost host) {
        return NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).createIfbWhenNoneFree(false).on(host).attach();
    }
}
