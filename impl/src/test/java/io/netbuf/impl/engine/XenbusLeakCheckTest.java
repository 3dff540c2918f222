package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeHostExtension;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The testkit's leak check with the README's usage and a xenbus path nobody made beforehand: the
 * claim's parents, which the attach's writes create and libxl removes with the domain, are not
 * leaks; the nodes netbuf writes are, when left.
 */
class XenbusLeakCheckTest {
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    @RegisterExtension
    static final FakeHostExtension HOST = FakeHostExtension.create().withVif("vif5.0").withIfbs(2);

    @Test
    void attachAndCloseWithAXenbusPathLeaveTheHostClean(FakeHost host) {
        NetworkBuffer.forVif("vif5.0").xenbusPath(XENBUS).on(host).attach().close();
    }

    @Test
    void aBufferLeftAttachedIsReportedByWhatItWrote() {
        FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(2);
        NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").xenbusPath(XENBUS).on(host).attach();
        assertEquals(List.of(
                "added: filter vif5.0 ingress #1 = u32 protocol all mirred egress redirect dev ifb0",
                "changed: link ifb0 = ifb, up, addrgenmode none (was ifb, down)",
                "added: qdisc ifb0 root = plug",
                "added: qdisc vif5.0 ingress = ingress",
                "added: xenstore " + XENBUS + "/hotplug-status = connected",
                "added: xenstore " + XENBUS + "/ifb = ifb0",
                "added: xenstore " + XENBUS + "/netbuf-owner = " + host.processes().self().orElseThrow().encode()),
                host.leaks());
        buffer.close();
        host.assertClean();
    }
}
