package io.netbuf.testkit.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferGroup;
import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeHostExtension;
import io.netbuf.testkit.Frame;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Documentation by example: how a Remus controller tests its checkpoint loop with the testkit,
 * without root or Xen. The extension hands each test a fresh {@link FakeHost} and fails the test
 * if anything is left on the host afterwards.
 */
class ControllerLoopExampleTest {
    @RegisterExtension
    static final FakeHostExtension HOST = FakeHostExtension.create()
            .withVif("vif7.0")
            .withVif("vif7.1")
            .withIfbs(2);

    /** The controller under test: checkpoints the domain, then commits once the backup acknowledged. */
    static final class Controller implements AutoCloseable {
        private final BufferGroup buffers;

        Controller(FakeHost host) {
            buffers = NetworkBuffer.group(List.of(
                    NetworkBuffer.forVif("vif7.0").on(host).attach(),
                    NetworkBuffer.forVif("vif7.1").on(host).attach()));
        }

        void checkpoint(boolean backupAcknowledged) {
            buffers.checkpoint();     // the guest is suspended here
            if (backupAcknowledged) {
                buffers.commit();
            } else {
                buffers.releaseIndefinitely(); // failover: the backup is gone, stop buffering
            }
        }

        @Override
        public void close() {
            buffers.close();
        }
    }

    @Test
    void outputOfAnEpochLeavesOnlyAfterTheBackupAcknowledgedIt(FakeHost host) {
        try (Controller controller = new Controller(host)) {
            Frame first = host.guest("vif7.0").sendIpv4(1_000);
            Frame second = host.guest("vif7.1").sendIpv6(1_000);
            assertTrue(host.delivered("vif7.0").isEmpty(), "held while the epoch is open");

            controller.checkpoint(true);
            assertEquals(List.of(first), host.delivered("vif7.0"));
            assertEquals(List.of(second), host.delivered("vif7.1"));

            Frame third = host.guest("vif7.0").sendArp();
            controller.checkpoint(false);
            assertEquals(List.of(first, third), host.delivered("vif7.0"), "failover releases everything");
        }
        // FakeHostExtension now checks that the controller left nothing behind.
    }
}
