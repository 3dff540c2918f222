package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.ProcessIdentity;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.Optional;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReapCommandTest {
    private static final String LIVE = "/libxl/5/remus/netbuf/0";
    private static final String GONE = "/libxl/9/remus/netbuf/1";

    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(3)
            .withXenstore("/local/domain/5/name", "live").withXenstore(LIVE, "").markClean();
    private final CliRunner cli = new CliRunner(host);

    @Test
    void aHostWithOnlyALiveBufferHasNothingToReap() {
        assertEquals(0, cli.run(Map.of("vifname", "vif5.0", "XENBUS_PATH", LIVE), RemusNetbufSetupCommand.NAME,
                "setup").status());
        CliRunner.Result r = cli.netbuf("reap", "--apply");
        assertEquals(0, r.status(), r.err());
        assertEquals("nothing left behind: no stale claim, dangling redirect, orphan plug or orphaned buffer\n", r.out());
        assertTrue(host.plugState("ifb0").isPresent(), "the live buffer is untouched");
    }

    @Test
    void showsLeftoversAndRemovesThemOnlyWithApply() {
        host.fakeXenstore().write(GONE + "/ifb", "ifb1");                // domain 9 is gone
        host.trafficControl().addPlug("ifb2", 1000);                      // nobody's plug

        CliRunner.Result shown = cli.netbuf("reap");
        assertEquals(0, shown.status(), shown.err());
        assertEquals("found    " + GONE + "/ifb = ifb1: claim of a domain that no longer exists\n"
                + "found    ifb2: plug that no claim names and no vif redirects to\n"
                + "2 found; run with --apply to remove them\n", shown.out());
        assertTrue(host.fakeXenstore().exists(GONE + "/ifb"), "nothing removed without --apply");

        String json = cli.netbuf("reap", "--json").out();
        assertTrue(json.startsWith("{\"applied\": false, \"findings\": [\n    {\"kind\": \"STALE_CLAIM\", "
                + "\"xenbusPath\": \"" + GONE + "\", \"vif\": null, \"ifb\": \"ifb1\", \"owner\": null, \"removed\": false},"),
                json);

        CliRunner.Result applied = cli.netbuf("reap", "--apply");
        assertEquals(0, applied.status(), applied.err());
        assertTrue(applied.out().contains("removed  ifb2: plug"), applied.out());
        assertTrue(applied.out().endsWith("2 of 2 removed\n"), applied.out());
        assertFalse(host.fakeXenstore().exists(GONE + "/ifb"));
        assertFalse(host.plugState("ifb2").isPresent());
        assertEquals("nothing left behind: no stale claim, dangling redirect, orphan plug or orphaned buffer\n",
                cli.netbuf("reap").out());
    }

    @Test
    void checkExitsOneWhenAnythingWasFound() {
        assertEquals(0, cli.netbuf("reap", "--check").status(), "a clean host");
        host.trafficControl().addPlug("ifb2", 1000);
        CliRunner.Result found = cli.netbuf("reap", "--check");
        assertEquals(1, found.status());
        assertTrue(found.out().contains("found    ifb2: plug"), found.out());
        assertTrue(host.plugState("ifb2").isPresent(), "--check alone removes nothing");
        assertEquals(1, cli.netbuf("reap", "--check", "--apply").status(), "found (and removed)");
        assertFalse(host.plugState("ifb2").isPresent());
        assertEquals(0, cli.netbuf("reap", "--check").status());
    }

    @Test
    void aBufferWhoseLibxlDiedIsFoundShownInStatusAndGivenBackByApply() {
        ProcessIdentity xl = host.processes().start();
        Map<String, String> env = Map.of("vifname", "vif5.0", "XENBUS_PATH", LIVE,
                RemusNetbufSetupCommand.OWNER_PID_ENV, Long.toString(xl.pid()));
        assertEquals(0, cli.run(env, RemusNetbufSetupCommand.NAME, "setup").status());
        assertEquals(Optional.of(xl.encode()), host.xenstore().read(LIVE + "/netbuf-owner"), "libxl owns the buffer");
        assertEquals(0, cli.netbuf("reap", "--check").status(), "its owner lives");
        assertTrue(cli.netbuf("status").out().contains(xl.pid() + "(alive)"), cli.netbuf("status").out());
        host.guest("vif5.0").send(Frame.ipv4(1, 100));

        host.processes().kill(xl); // xl remus stopped by SIGTERM: no teardown ran
        String status = cli.netbuf("status", "--json").out();
        assertTrue(status.contains("\"liveness\": \"DEAD\""), status);
        assertTrue(cli.netbuf("status").out().contains(xl.pid() + "(dead)"), cli.netbuf("status").out());
        CliRunner.Result check = cli.netbuf("reap", "--check", "--json");
        assertEquals(1, check.status(), "--check counts it");
        assertTrue(check.out().contains("{\"kind\": \"ORPHANED_BUFFER\", \"xenbusPath\": \"" + LIVE
                + "\", \"vif\": \"vif5.0\", \"ifb\": \"ifb0\", \"owner\": \"" + xl.encode() + "\", \"removed\": false}"),
                check.out());
        CliRunner.Result applied = cli.netbuf("reap", "--apply");
        assertTrue(applied.out().startsWith("removed  vif5.0 -> ifb0 (" + LIVE + "): buffer whose owner is dead"),
                applied.out());
        assertEquals(1, host.delivered("vif5.0").size(), "the guest's network is back");
        host.assertClean();
    }

    @Test
    void helpAndUsage() {
        assertTrue(cli.netbuf("reap", "--help").out().contains("--apply"));
        assertEquals(2, cli.netbuf("reap", "--force").status());
    }
}
