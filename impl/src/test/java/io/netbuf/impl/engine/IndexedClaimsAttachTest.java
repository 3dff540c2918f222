package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.NetworkBuffer;
import io.netbuf.NoFreeIfbException;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Attach through the native XenStore client, whose claims come from the watch-fed index rather than
 * a scan per pick, while "other processes" claim and release IFBs in the same store: every pick
 * must be the one the full scan would make (the first IFB without a qdisc that no live domain
 * claims).
 */
class IndexedClaimsAttachTest {
    private FakeHost fake;
    private FakeXenstore store;
    private XenstoredServer server;
    private XenstoreClient client;
    private BasicHost host;

    @BeforeEach
    void setUp() {
        fake = EngineFixtures.domain5(4);
        store = fake.fakeXenstore();
        server = XenstoredServer.start(store);
        client = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(10));
        host = new BasicHost("fake kernel, native xenstore over the testkit xenstored", fake.links(),
                fake.trafficControl(), client, fake.lock(), fake.features());
    }

    @AfterEach
    void tearDown() {
        client.close();
        server.close();
    }

    @Test
    void skipsLiveClaimsIgnoresDeadDomainsAndSeesReleases() {
        store.write("/local/domain/7/name", "guest7");
        store.write("/libxl/7/remus/netbuf/0/ifb", "ifb0");
        store.write("/libxl/8/remus/netbuf/0/ifb", "ifb1"); // domain 8 is gone
        try (NetworkBuffer buffer = attach()) {
            assertEquals("ifb1", buffer.ifb());
        }
        store.rm("/libxl/7/remus/netbuf/0/ifb");
        store.write("/local/domain/9/name", "guest9");
        store.write("/libxl/9/remus/netbuf/3/ifb", "ifb1");
        try (NetworkBuffer buffer = attach()) {
            assertEquals("ifb0", buffer.ifb());
        }
        assertCleanButForOthersRecords();
    }

    @Test
    void noFreeIfbNamesEachClaimant() {
        for (int i = 0; i < 4; i++) {
            store.write("/local/domain/" + (20 + i) + "/name", "guest");
            store.write("/libxl/" + (20 + i) + "/remus/netbuf/0/ifb", "ifb" + i);
        }
        NoFreeIfbException e = assertThrows(NoFreeIfbException.class, this::attach);
        assertEquals("claimed by /libxl/22/remus/netbuf/0", e.busy().get("ifb2"));
        assertEquals(4, e.busy().size());
    }

    @Test
    void everyPickIsTheScansPickWhileOthersClaimAndRelease() {
        Random random = new Random(7);
        for (int round = 0; round < 150; round++) {
            int domid = 10 + random.nextInt(6);
            String claim = "/libxl/" + domid + "/remus/netbuf/0/ifb";
            switch (random.nextInt(4)) {
                case 0 -> store.write(claim, "ifb" + random.nextInt(4));
                case 1 -> store.write("/local/domain/" + domid + "/name", "guest" + domid);
                case 2 -> {
                    if (store.exists("/local/domain/" + domid)) {
                        store.rm("/local/domain/" + domid);
                    }
                }
                default -> {
                    if (store.exists(claim)) {
                        store.rm(claim);
                    }
                }
            }
            Optional<String> expected = firstUnclaimed();
            if (expected.isEmpty()) {
                assertThrows(NoFreeIfbException.class, this::attach, "round " + round);
                continue;
            }
            try (NetworkBuffer buffer = attach()) {
                assertEquals(expected.get(), buffer.ifb(), "round " + round);
            }
        }
        assertCleanButForOthersRecords();
    }

    private NetworkBuffer attach() {
        return NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).createIfbWhenNoneFree(false).on(host).attach();
    }

    /** The kernel as before and no record of ours left; the other domains' records are theirs. */
    private void assertCleanButForOthersRecords() {
        assertEquals(List.of(), fake.leaks().stream().filter(leak -> !leak.contains(" xenstore ")).toList());
        assertEquals(Optional.empty(), store.read(XENBUS + "/ifb"));
        assertEquals(Optional.empty(), store.read(XENBUS + "/hotplug-status"));
    }

    /** The full scan's answer, read straight from the store. */
    private Optional<String> firstUnclaimed() {
        Map<String, String> snapshot = store.snapshot();
        for (int i = 0; i < 4; i++) {
            String ifb = "ifb" + i;
            boolean claimed = snapshot.entrySet().stream().anyMatch(e -> e.getValue().equals(ifb)
                    && e.getKey().matches("/libxl/\\d+/remus/netbuf/\\d+/ifb")
                    && snapshot.containsKey("/local/domain/" + e.getKey().split("/")[2]));
            if (!claimed) {
                return Optional.of(ifb);
            }
        }
        return Optional.empty();
    }
}
