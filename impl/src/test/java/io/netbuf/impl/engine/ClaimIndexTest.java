package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.impl.xenstore.XenstoreTools;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.XenstoreOps;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The watch-fed claim index against the full scan it replaces, over the wire to the testkit
 * xenstored, with the changes made by another client (as another process would make them): the
 * two must agree after every change, and the index must read only what changed.
 */
class ClaimIndexTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private XenstoredServer server;
    private XenstoreClient client;
    private XenstoreClient other;

    @BeforeEach
    void setUp() {
        server = XenstoredServer.start();
        server.store().write("/local/domain/0/name", "Domain-0");
        client = XenstoreClient.connect(server.socketPath(), TIMEOUT);
        other = XenstoreClient.connect(server.socketPath(), TIMEOUT);
    }

    @AfterEach
    void tearDown() {
        other.close();
        client.close();
        server.close();
    }

    @Test
    void agreesWithTheFullScanAfterEveryChangeMadeElsewhere() {
        ClaimIndex index = ClaimIndex.of(client);
        Random random = new Random(20261127);
        for (int step = 0; step < 400; step++) {
            randomChange(random);
            assertEquals(XenbusRecord.claims(client), index.claims(client), "after step " + step);
        }
    }

    @Test
    void readsOnlyTheDomainsThatChanged() {
        for (int domid = 1; domid <= 200; domid++) {
            addDomain(other, domid);
            claim(other, domid, 0, "ifb" + domid);
        }
        ClaimIndex index = ClaimIndex.of(client);
        Counting first = new Counting(client);
        assertEquals(200, index.claims(first).size());
        assertTrue(first.requests.get() > 400, "the first call reads everything: " + first.requests);

        Counting unchanged = new Counting(client);
        Map<String, String> claims = index.claims(unchanged);
        assertEquals(200, claims.size());
        assertEquals(1, unchanged.requests.get(), "nothing changed: only the live domains are listed");

        other.rm("/libxl/7/remus/netbuf/0/ifb");
        claim(other, 9, 1, "ifb900");
        other.write("/libxl/12/device/vif/0/state", "4"); // not a claim: no re-read
        Counting changed = new Counting(client);
        claims = index.claims(changed);
        assertEquals(Optional.empty(), Optional.ofNullable(claims.get("ifb7")));
        assertEquals("/libxl/9/remus/netbuf/1", claims.get("ifb900"));
        assertEquals(XenbusRecord.claims(client), claims);
        assertTrue(changed.requests.get() <= 7, "list + two domains' devices and claims: " + changed.requests);
    }

    @Test
    void aDomainThatIsGoneNoLongerClaimsAndComesBackWithItsRecord() {
        addDomain(other, 5);
        claim(other, 5, 0, "ifb3");
        ClaimIndex index = ClaimIndex.of(client);
        assertEquals(Map.of("ifb3", "/libxl/5/remus/netbuf/0"), index.claims(client));
        other.rm("/local/domain/5");
        assertEquals(Map.of(), index.claims(client));
        addDomain(other, 5);
        assertEquals(Map.of("ifb3", "/libxl/5/remus/netbuf/0"), index.claims(client));
    }

    @Test
    void aClaimWrittenWhileItsDomainIsNotListedCountsOnceTheDomainIs() {
        ClaimIndex index = ClaimIndex.of(client);
        assertEquals(Map.of(), index.claims(client));
        claim(other, 6, 0, "ifb2"); // libxl writes under /libxl before the domain is listed
        assertEquals(Map.of(), index.claims(client));
        addDomain(other, 6);
        assertEquals(Map.of("ifb2", "/libxl/6/remus/netbuf/0"), index.claims(client));
    }

    @Test
    void startsOverAfterXenstoredRestartsWithChangesItsWatchNeverSaw() {
        addDomain(other, 3);
        claim(other, 3, 0, "ifb1");
        ClaimIndex index = ClaimIndex.of(client);
        assertEquals(Map.of("ifb1", "/libxl/3/remus/netbuf/0"), index.claims(client));

        server.stop();
        FakeXenstore store = server.store();
        store.rm("/libxl/3/remus/netbuf/0/ifb");
        store.write("/local/domain/4/name", "guest4");
        store.write("/libxl/4/remus/netbuf/0/ifb", "ifb2");
        server.restart();

        assertEquals(Map.of("ifb2", "/libxl/4/remus/netbuf/0"), awaitReconnected(index));
    }

    @Test
    void oneIndexPerFeed() {
        assertTrue(ClaimIndex.of(client) == ClaimIndex.of(client));
        assertTrue(ClaimIndex.of(client) != ClaimIndex.of(other));
        assertTrue(ClaimIndex.of(server.store()) != ClaimIndex.of(client), "FakeXenstore: a feed of its own");
    }

    @Test
    void aHostWithoutAFeedHasNoIndex() {
        FakeHost fake = FakeHost.create();
        Host tools = new BasicHost("xenstore-* tools", fake.links(), fake.trafficControl(),
                new XenstoreTools(new CommandRunner(TIMEOUT, Map.of())), fake.lock(), fake.features());
        assertEquals(Optional.empty(), ClaimIndex.of(tools), "the tools: scanned, not indexed");
        assertTrue(ClaimIndex.of(fake).orElseThrow() == ClaimIndex.of(fake.fakeXenstore()), "FakeHost: indexed");
    }

    /** The first call after the restart fails (the connection is gone); the next one reconnects. */
    private Map<String, String> awaitReconnected(ClaimIndex index) {
        for (int attempt = 0; ; attempt++) {
            try {
                return index.claims(client);
            } catch (io.netbuf.XenstoreException e) {
                if (attempt > 3) {
                    throw e;
                }
            }
        }
    }

    private void randomChange(Random random) {
        int domid = 1 + random.nextInt(12);
        int devid = random.nextInt(3);
        String base = "/libxl/" + domid + "/remus/netbuf/" + devid;
        switch (random.nextInt(10)) {
            case 0, 1, 2 -> {
                if (random.nextBoolean()) {
                    addDomain(other, domid);
                }
                claim(other, domid, devid, "ifb" + random.nextInt(6));
            }
            case 8 -> addDomain(other, domid);
            case 3 -> remove(base + "/ifb");
            case 4 -> remove(base);
            case 5 -> remove("/local/domain/" + domid);
            case 6 -> remove("/libxl/" + domid);
            case 7 -> other.write("/libxl/" + domid + "/device/vif/" + devid + "/state", "" + random.nextInt(7));
            default -> {
                if (random.nextInt(10) == 0) {
                    remove("/libxl");
                } else {
                    other.write(base + "/hotplug-status", "connected");
                }
            }
        }
    }

    /** Removes a node if its parent exists (xenstored refuses otherwise). */
    private void remove(String path) {
        String parent = path.substring(0, path.lastIndexOf('/'));
        if (parent.isEmpty() || other.exists(parent)) {
            other.rm(path);
        }
    }

    private static void addDomain(XenstoreOps ops, int domid) {
        ops.write("/local/domain/" + domid + "/name", "guest" + domid);
    }

    private static void claim(XenstoreOps ops, int domid, int devid, String ifb) {
        ops.write("/libxl/" + domid + "/remus/netbuf/" + devid + "/ifb", ifb);
    }

    /** Counts the requests sent through it (a batch counts each of its requests). */
    private static final class Counting implements XenstoreOps {
        final AtomicInteger requests = new AtomicInteger();
        private final XenstoreOps delegate;

        Counting(XenstoreOps delegate) {
            this.delegate = delegate;
        }

        @Override
        public Optional<String> read(String path) {
            requests.incrementAndGet();
            return delegate.read(path);
        }

        @Override
        public void write(String path, String value) {
            requests.incrementAndGet();
            delegate.write(path, value);
        }

        @Override
        public void mkdir(String path) {
            requests.incrementAndGet();
            delegate.mkdir(path);
        }

        @Override
        public List<String> list(String path) {
            requests.incrementAndGet();
            return delegate.list(path);
        }

        @Override
        public boolean exists(String path) {
            requests.incrementAndGet();
            return delegate.exists(path);
        }

        @Override
        public void rm(String path) {
            requests.incrementAndGet();
            delegate.rm(path);
        }

        @Override
        public List<Optional<String>> readAll(List<String> paths) {
            requests.addAndGet(paths.size());
            return delegate.readAll(paths);
        }

        @Override
        public List<Optional<List<String>>> listAll(List<String> paths) {
            requests.addAndGet(paths.size());
            return delegate.listAll(paths);
        }
    }
}
