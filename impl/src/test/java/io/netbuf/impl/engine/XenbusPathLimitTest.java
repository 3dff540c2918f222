package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.Validate;
import io.netbuf.testkit.FakeHost;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A xenbus path that XenStore accepts but whose children ({@code /hotplug-status}, ...) it would
 * refuse is refused up front, before anything on the host changes; the longest accepted one works.
 */
class XenbusPathLimitTest {
    private static String pathOf(int bytes) {
        String prefix = "/libxl/5/remus/netbuf/";
        return prefix + "0".repeat(bytes - prefix.length());
    }

    @Test
    void theRecordsNodesAreTheChildrenValidateLeavesRoomFor() {
        assertEquals(List.of(XenbusRecord.IFB, XenbusRecord.HOTPLUG_STATUS, XenbusRecord.HOTPLUG_ERROR),
                Validate.XENBUS_CHILDREN);
    }

    @Test
    void aPathWhoseChildWouldBeTooLongIsRefusedBeforeAnyChange() {
        for (int bytes : new int[] {2034, 2041, 2048}) {
            String path = pathOf(bytes);
            FakeHost host = EngineFixtures.domain5(1).withXenstore(path, "").markClean();
            InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                    () -> NetworkBuffer.forVif(EngineFixtures.VIF).xenbusPath(path).on(host).attach(), "" + bytes);
            assertEquals("xenbus path", e.setting());
            assertTrue(host.calls().isEmpty(), "nothing called: " + host.calls());
            host.assertClean();
        }
    }

    @Test
    void theLongestAcceptedPathAttachesAndClosesCleanly() {
        String path = pathOf(Validate.MAX_XENBUS_PATH_BYTES);
        FakeHost host = EngineFixtures.domain5(1).withXenstore(path, "").markClean();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(EngineFixtures.VIF).xenbusPath(path).on(host).attach()) {
            assertEquals("connected", host.fakeXenstore().read(path + "/hotplug-status").orElseThrow());
        }
        host.assertClean();
    }
}
