package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.it.xenstored.RealXenstored;
import io.netbuf.spi.BasicHost;
import io.netbuf.testkit.FakeHost;
import java.time.Duration;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code netbuf status} and {@code netbuf reap} on a host with about 1,200 domains, XenStore served by
 * Xen's own daemons: oxenstored sends {@code /local/domain} as one DIRECTORY reply over 4096 bytes (both
 * commands exited 1 with EPROTO before #16), the C daemon pages it with DIRECTORY_PART.
 */
@Timeout(120)
class StatusOnOxenstoredIT {

    @ParameterizedTest
    @EnumSource(RealXenstored.Flavour.class)
    void statusAndReapWorkWithManyDomains(RealXenstored.Flavour flavour) {
        FakeHost kernel = FakeHost.create().withVif("vif5.0").withIfbs(2);
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient xenstore = XenstoreClient.connect(daemon.socketPath(), Duration.ofSeconds(10))) {
            for (int d = 1; d <= 1200; d++) {
                xenstore.write("/local/domain/" + d + "/name", "guest-" + d);
            }
            xenstore.write("/libxl/5/remus/netbuf/0/ifb", "ifb1"); // a claim whose buffer is gone
            CliRunner cli = new CliRunner(new BasicHost("fake kernel, " + daemon, kernel.links(),
                    kernel.trafficControl(), xenstore, kernel.lock(), kernel.features()));
            CliRunner.Result status = cli.netbuf("status", "--json");
            assertEquals(0, status.status(), status.err());
            assertTrue(status.out().contains("\"ifb\": \"ifb1\", \"domid\": 5"), status.out());
            CliRunner.Result reap = cli.netbuf("reap");
            assertEquals(0, reap.status(), reap.err());
            assertTrue(reap.out().contains("ifb1"), reap.out());
        }
    }
}
