package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.HostLock;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@code netbuf buffer VIF ACTION} and {@code netbuf status --watch} on FakeHost. */
class BufferCommandTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withVif("vif7.1").withIfbs(3)
            .withXenstore("/local/domain/5/name", "a").withXenstore("/local/domain/7/name", "b").markClean();
    private final CliRunner cli = new CliRunner(host);

    private void setup(String vif, String path) {
        CliRunner.Result r = cli.run(Map.of("vifname", vif, "XENBUS_PATH", path), RemusNetbufSetupCommand.NAME,
                "setup");
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void checkpointCommitAndReleaseDriveTheClaimedBuffer() {
        setup("vif5.0", "/libxl/5/remus/netbuf/0");
        Frame a = host.guest("vif5.0").sendIpv4(100);
        CliRunner.Result r = cli.netbuf("buffer", "vif5.0", "checkpoint");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("vif5.0 (ifb0): checkpoint done; backlog "), r.out());
        Frame b = host.guest("vif5.0").sendIpv4(100);
        assertTrue(host.delivered("vif5.0").isEmpty());

        r = cli.netbuf("buffer", "vif5.0", "commit", "--json");
        assertEquals(0, r.status(), r.err());
        assertEquals(List.of(a), host.delivered("vif5.0"), "exactly the closed epoch");
        assertTrue(r.out().startsWith("{\"vif\": \"vif5.0\", \"ifb\": \"ifb0\", \"action\": \"commit\""), r.out());
        assertTrue(r.out().contains("\"releasedPackets\": 1, \"releasedBytes\": " + a.length() + "}"), r.out());

        r = cli.netbuf("buffer", "vif5.0", "release");
        assertEquals(0, r.status(), r.err());
        assertEquals(List.of(a, b), host.delivered("vif5.0"));
        assertTrue(r.out().contains("released 1 packets / " + b.length() + " bytes"), r.out());

        r = cli.netbuf("buffer", "vif5.0", "limit", "2000");
        assertEquals(0, r.status(), r.err());
        assertEquals(2000, host.plugState("ifb0").orElseThrow().limit());
        assertTrue(host.heldLocks().isEmpty(), "the host lock was released");
    }

    @Test
    void badInputIsRefusedBeforeTheHostIsTouched() {
        setup("vif5.0", "/libxl/5/remus/netbuf/0");
        host.clearCalls();
        for (List<String> args : List.of(List.of("buffer"), List.of("buffer", "vif5.0"),
                List.of("buffer", "vif5.0", "flush"), List.of("buffer", "vif5.0", "limit"),
                List.of("buffer", "vif5.0", "limit", "0"), List.of("buffer", "vif5.0", "limit", "ten"),
                List.of("buffer", "vif5.0", "commit", "now"), List.of("buffer", "bad/name", "commit"))) {
            CliRunner.Result r = cli.netbuf(args.toArray(String[]::new));
            assertEquals(Cli.USAGE, r.status(), args + ": " + r.err());
            assertTrue(r.err().startsWith("netbuf buffer: "), r.err());
            assertEquals(1, r.err().strip().split("\n").length, r.err());
        }
        assertTrue(host.calls().isEmpty(), "nothing was asked of the host: " + host.calls());
    }

    @Test
    void aMissingOrIncompleteBufferIsATypedFailureAndNothingChanges() {
        CliRunner.Result r = cli.netbuf("buffer", "vif7.1", "commit");
        assertEquals(Cli.FAILURE, r.status());
        assertTrue(r.err().contains("there is no buffer for vif7.1") && r.err().contains("BufferStateMismatchException"),
                r.err());

        setup("vif5.0", "/libxl/5/remus/netbuf/0");
        host.links().setUp("ifb0", false);
        host.clearCalls();
        r = cli.netbuf("buffer", "vif5.0", "checkpoint");
        assertEquals(Cli.FAILURE, r.status());
        assertTrue(r.err().contains("ifb0: IFB down"), r.err());
        assertTrue(host.calls().stream().noneMatch(c -> c.startsWith("trafficControl.plug")), host.calls().toString());
        host.links().setUp("ifb0", true);
    }

    @Test
    void theKernelsRefusalAndABusyLockAreTypedFailures() throws Exception {
        setup("vif5.0", "/libxl/5/remus/netbuf/0");
        host.faults().failOn("trafficControl.plug");
        CliRunner.Result r = cli.netbuf("buffer", "vif5.0", "checkpoint");
        assertEquals(Cli.FAILURE, r.status());
        assertTrue(r.err().contains("PlugFailedException"), r.err());
        host.faults().clear();

        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, Duration.ofSeconds(1))) {
            AtomicReference<CliRunner.Result> busy = new AtomicReference<>();
            Thread other = new Thread(() -> busy.set(cli.netbuf("buffer", "vif5.0", "checkpoint", "--lock-timeout", "1")));
            other.start();
            other.join(30_000);
            assertEquals(Cli.FAILURE, busy.get().status());
            assertTrue(busy.get().err().contains("LockTimeoutException"), busy.get().err());
        }
        assertEquals(0, cli.netbuf("buffer", "vif5.0", "checkpoint").status(), "the lock is free again");
    }

    @Test
    void statusWatchRefreshesOnceASecondForCountRounds() {
        setup("vif5.0", "/libxl/5/remus/netbuf/0");
        host.guest("vif5.0").sendIpv4(100);
        long start = System.nanoTime();
        CliRunner.Result r = cli.netbuf("status", "--watch", "--count", "2", "--json");
        long elapsed = System.nanoTime() - start;
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals(2, lines.length, r.out());
        for (String line : lines) {
            assertTrue(line.startsWith("{\"time\": \"") && line.contains("\"backlogPackets\": 1"), line);
        }
        assertTrue(elapsed >= Duration.ofMillis(900).toNanos(), "one refresh a second: " + elapsed);

        r = cli.netbuf("status", "--watch", "--count", "1");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("netbuf status --watch") && r.out().contains("vif5.0"), r.out());
        assertEquals(Cli.USAGE, cli.netbuf("status", "--count", "2").status(), "--count needs --watch");
        assertEquals(Cli.USAGE, cli.netbuf("status", "--watch", "--count", "0").status());
    }
}
