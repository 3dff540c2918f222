package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.XenstoreException;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.testkit.FakeHost;
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
}
