package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeXenstore;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On a FakeHost, whose XenStore is its own change feed, an attach picks its IFB through the
 * watch-fed claim index: after the first pick, a pick reads only what changed, whatever the number
 * of domains, and still sees every claim made or released in the store meanwhile.
 */
class FakeHostIndexedClaimsTest {
    @Test
    void aSecondAttachTouchesXenstoreAsOftenWithTwoHundredDomainsAsWithTen() {
        List<String> withTen = xenstoreCallsOfASecondAttach(10);
        List<String> withTwoHundred = xenstoreCallsOfASecondAttach(200);
        assertEquals(withTen, withTwoHundred);
        assertTrue(withTwoHundred.size() < 50, "no claim scan: " + withTwoHundred);
    }

    @Test
    void claimsMadeAndReleasedInTheStoreBetweenPicksAreSeen() {
        FakeHost host = EngineFixtures.domain5(2);
        FakeXenstore store = host.fakeXenstore();
        attach(host).close();

        store.write("/local/domain/7/name", "guest7");
        store.transaction(ops -> {
            ops.write("/libxl/7/remus/netbuf/0/ifb", "ifb0");
            return null;
        });
        try (NetworkBuffer buffer = attach(host)) {
            assertEquals("ifb1", buffer.ifb(), "ifb0 is claimed by domain 7");
        }

        store.rm("/libxl/7");
        try (NetworkBuffer buffer = attach(host)) {
            assertEquals("ifb0", buffer.ifb(), "domain 7 released it");
        }

        store.write("/libxl/7/remus/netbuf/0/ifb", "ifb0");
        store.rm("/local/domain/7");
        try (NetworkBuffer buffer = attach(host)) {
            assertEquals("ifb0", buffer.ifb(), "domain 7 is gone: its claim no longer counts");
        }
    }

    /** The XenStore operations of an attach and close that follow a first one. */
    private static List<String> xenstoreCallsOfASecondAttach(int otherDomains) {
        FakeHost host = EngineFixtures.domain5(2);
        for (int domid = 6; domid < 6 + otherDomains; domid++) {
            host.withXenstore("/local/domain/" + domid + "/name", "guest" + domid)
                    .withXenstore("/libxl/" + domid + "/remus/netbuf/0/ifb", "ifb" + (1000 + domid));
        }
        attach(host).close();
        host.clearCalls();
        try (NetworkBuffer buffer = attach(host)) {
            assertEquals("ifb0", buffer.ifb());
        }
        host.assertClean();
        return host.calls().stream().filter(call -> call.startsWith("xenstore.")).toList();
    }

    private static NetworkBuffer attach(FakeHost host) {
        return NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).createIfbWhenNoneFree(false).on(host).attach();
    }
}
