package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.cli.Cli;
import io.netbuf.cli.CliRunner;
import io.netbuf.cli.CliRunner.Result;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeature;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code netbuf buffer VIF ACTION} and {@code netbuf status --watch} on the real kernel, in a throwaway
 * namespace over rtnetlink, with the testkit xenstored and the real flock host lock. This kernel has
 * no sch_plug, so the plug is the {@link PlugStandIn} (a root pfifo changed by the same messages);
 * the real plug is {@code BufferVerbsLabIT}'s.
 */
class BufferVerbsIT {
    private static final String VIF = "vif5.0";
    private static final String PATH = "/libxl/5/remus/netbuf/0";

    @TempDir
    Path lockDir;
    private Netns ns;
    private XenstoredServer xenstored;
    private XenstoreClient client;
    private SystemHost system;
    private BasicHost host;

    /** What one run printed. */

    @BeforeEach
    void setUp() {
        Requirements.netns();
        ns = Netns.create("nbverb");
        ns.ip("link", "add", VIF, "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", VIF, "up");
        ns.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, VIF);
        ns.ip("link", "add", "ifb0", "type", "ifb");
        FakeXenstore store = new FakeXenstore();
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/local/domain/5/name", "guest");
        store.write(PATH, "");
        xenstored = XenstoredServer.start(store);
        client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(2));
        system = SystemHost.builder().backend(SystemHost.Backend.NATIVE).namespace(ns.name()).lockDir(lockDir).build();
        host = new BasicHost(system.description() + " with a pfifo stand-in plug", system.links(),
                new PlugStandIn(system.trafficControl(), ns.name()), client, system.lock(),
                wanted -> EnumSet.noneOf(KernelFeature.class));
    }

    @AfterEach
    void tearDown() {
        if (system != null) {
            system.close();
        }
        if (client != null) {
            client.close();
        }
        if (xenstored != null) {
            xenstored.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    private Result run(Map<String, String> environment, String invokedAs, String... args) {
        return new CliRunner(host).run(environment, invokedAs, args);
    }

    private Result netbuf(String... args) {
        return new CliRunner(host).netbuf(args);
    }

    @Test
    void theVerbsActOnTheClaimedBufferAndChangeNothingElse() {
        Result setup = run(Map.of("vifname", VIF, "XENBUS_PATH", PATH), "remus-netbuf-setup", "setup");
        assertEquals(0, setup.status(), setup.err());
        String attached = state();
        for (List<String> verb : List.of(List.of("checkpoint"), List.of("commit"), List.of("release"),
                List.of("checkpoint"), List.of("commit"))) {
            Result r = netbuf(concat(List.of("buffer", VIF), verb, List.of("--json")));
            assertEquals(0, r.status(), verb + ": " + r.err());
            assertTrue(r.out().startsWith("{\"vif\": \"vif5.0\", \"ifb\": \"ifb0\", \"action\": \"" + verb.get(0) + "\""),
                    r.out());
            assertTrue(r.out().contains("\"after\": {\"backlogBytes\": 0"), r.out());
        }
        Result limit = netbuf("buffer", VIF, "limit", "20000");
        assertEquals(0, limit.status(), limit.err());
        assertTrue(limit.out().startsWith("vif5.0 (ifb0): limit 20000 bytes done; backlog 0B/0p"), limit.out());
        assertEquals(attached, state(), "the verbs change the plug's epochs, nothing else");

        Result status = netbuf("status", "--watch", "--count", "2", "--json");
        assertEquals(0, status.status(), status.err());
        String[] lines = status.out().strip().split("\n");
        assertEquals(2, lines.length, status.out());
        assertTrue(lines[1].contains("\"vif\": \"vif5.0\", \"ifb\": \"ifb0\", \"domid\": 5"), lines[1]);
        assertTrue(lines[1].contains("\"complete\": true"), lines[1]);

        Result teardown = run(Map.of("vifname", VIF, "XENBUS_PATH", PATH, "REMUS_IFB", "ifb0"), "remus-netbuf-setup",
                "teardown");
        assertEquals(0, teardown.status(), teardown.err());
    }

    @Test
    void anIncompleteOrMissingBufferAndABusyLockAreTypedFailures() throws Exception {
        Result none = netbuf("buffer", VIF, "commit");
        assertEquals(Cli.FAILURE, none.status());
        assertTrue(none.err().contains("BufferStateMismatchException") && none.err().contains("no buffer for vif5.0"),
                none.err());

        assertEquals(0, run(Map.of("vifname", VIF, "XENBUS_PATH", PATH), "remus-netbuf-setup", "setup").status());
        ns.ip("link", "set", "ifb0", "down");
        String before = state();
        Result down = netbuf("buffer", VIF, "checkpoint");
        assertEquals(Cli.FAILURE, down.status());
        assertTrue(down.err().contains("ifb0: IFB down"), down.err());
        assertEquals(before, state(), "a refused verb changes nothing");
        ns.ip("link", "set", "ifb0", "up");

        try (HostLock.Held held = new FlockHostLock(lockDir).acquire(HostLock.PICK_IFB, Duration.ofSeconds(5))) {
            Result busy = netbuf("buffer", VIF, "checkpoint", "--lock-timeout", "1");
            assertEquals(Cli.FAILURE, busy.status());
            assertTrue(busy.err().contains("LockTimeoutException"), busy.err());
        }
        assertEquals(0, netbuf("buffer", VIF, "checkpoint").status(), "the lock is free again");
        Result teardown = run(Map.of("vifname", VIF, "XENBUS_PATH", PATH, "REMUS_IFB", "ifb0"), "remus-netbuf-setup",
                "teardown");
        assertEquals(0, teardown.status(), teardown.err());
    }

    /**
     * @return the namespace's links, qdiscs and filters ({@link KernelState#dump}), without the
     *     action's {@code used_hw_stats}, which the kernel adds once traffic used the redirect
     */
    private String state() {
        return KernelState.dump(ns).replace(",\"used_hw_stats\":[\"disabled\"]", "");
    }

    private static String[] concat(List<String> a, List<String> b, List<String> c) {
        return java.util.stream.Stream.of(a, b, c).flatMap(List::stream).toArray(String[]::new);
    }
}
