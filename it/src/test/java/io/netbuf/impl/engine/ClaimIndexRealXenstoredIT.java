package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.it.xenstored.RealXenstored;
import io.netbuf.it.xenstored.RealXenstored.Flavour;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The watch-fed claim index and the full scan (what {@code HostScan} and the IFB picker read) agree
 * on Xen's own daemons after every change another client makes, and after the daemon restarts with a
 * store the index's watch never saw.
 */
@Timeout(120)
class ClaimIndexRealXenstoredIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @ParameterizedTest
    @EnumSource(Flavour.class)
    void theIndexAgreesWithTheFullScanOnTheRealDaemon(Flavour flavour) {
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient engine = XenstoreClient.connect(daemon.socketPath(), TIMEOUT);
                XenstoreClient libxl = XenstoreClient.connect(daemon.socketPath(), TIMEOUT)) {
            libxl.write("/local/domain/0/name", "Domain-0");
            ClaimIndex index = ClaimIndex.of(engine);
            Random random = new Random(16);
            List<IntConsumer> changes = List.of(
                    d -> libxl.write("/local/domain/" + d + "/name", "guest" + d),
                    d -> libxl.write("/libxl/" + d + "/remus/netbuf/" + (d % 3) + "/ifb", "ifb" + random.nextInt(5)),
                    d -> libxl.write("/libxl/" + d + "/remus/netbuf/" + (d % 3) + "/hotplug-status", "connected"),
                    d -> removeIfParentExists(libxl, "/libxl/" + d + "/remus/netbuf/" + (d % 3) + "/ifb"),
                    d -> removeIfParentExists(libxl, "/local/domain/" + d),
                    d -> removeIfParentExists(libxl, "/libxl/" + d));
            for (int step = 0; step < 300; step++) {
                changes.get(random.nextInt(changes.size())).accept(1 + random.nextInt(10));
                assertEquals(XenbusRecord.claims(engine), index.claims(engine), "step " + step);
            }
            daemon.restart();
            libxl.write("/local/domain/4/name", "guest4"); // reconnects libxl's client to the new daemon
            libxl.write("/libxl/4/remus/netbuf/0/ifb", "ifb2");
            assertEquals(Map.of("ifb2", "/libxl/4/remus/netbuf/0"), afterReconnect(index, engine));
        }
    }

    private static void removeIfParentExists(XenstoreClient client, String path) {
        if (client.exists(path.substring(0, path.lastIndexOf('/')))) {
            client.rm(path);
        }
    }

    /** The first call after the restart may fail (its connection is gone); the next one reconnects. */
    private static Map<String, String> afterReconnect(ClaimIndex index, XenstoreClient engine) {
        try {
            return index.claims(engine);
        } catch (io.netbuf.XenstoreException e) {
            return index.claims(engine);
        }
    }
}
