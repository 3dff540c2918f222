package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.testkit.FakeHost;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusCommandTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withVif("vif7.1").withIfbs(3)
            .withXenstore("/local/domain/5/name", "a").withXenstore("/local/domain/7/name", "b").markClean();
    private final CliRunner cli = new CliRunner(host);

    private void setup(String vif, String path) {
        CliRunner.Result r = cli.run(Map.of("vifname", vif, "XENBUS_PATH", path), RemusNetbufSetupCommand.NAME,
                "setup");
        assertEquals(0, r.status(), r.err());
    }

    @Test
    void anEmptyHostHasNoBuffers() {
        CliRunner.Result r = cli.netbuf("status");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("no buffers on this host ("), r.out());
        assertEquals("{\"buffers\": []}\n", cli.netbuf("status", "--json").out());
    }

    @Test
    void listsEachBufferWithItsDomainBacklogAndDrops() {
        setup("vif5.0", "/libxl/5/remus/netbuf/0");
        setup("vif7.1", "/libxl/7/remus/netbuf/1");
        host.guest("vif5.0").sendIpv4(100);
        host.guest("vif5.0").sendIpv4(200);
        CliRunner.Result r = cli.netbuf("status");
        assertEquals(0, r.status(), r.err());
        String[] lines = r.out().split("\n");
        assertEquals(3, lines.length, r.out());
        assertTrue(lines[0].startsWith("VIF "), lines[0]);
        assertEquals(java.util.List.of("vif5.0", "ifb0", "5", "0", "connected", "300B/2p", "0", "2001(alive)", "buffering"),
                java.util.List.of(lines[1].trim().split("\\s+")));
        assertEquals(java.util.List.of("vif7.1", "ifb1", "7", "1", "connected", "0B/0p", "0", "2002(alive)", "buffering"),
                java.util.List.of(lines[2].trim().split("\\s+")));

        String json = cli.netbuf("status", "--json").out();
        assertTrue(json.contains("{\"vif\": \"vif5.0\", \"ifb\": \"ifb0\", \"domid\": 5, \"devid\": 0, "
                + "\"xenbusPath\": \"/libxl/5/remus/netbuf/0\", \"hotplugStatus\": \"connected\", "
                + "\"backlogBytes\": 300, \"backlogPackets\": 2, \"drops\": 0, \"sentPackets\": 0, "
                + "\"owner\": {\"pid\": 2001, \"startTicks\": "), json);
        assertTrue(json.contains("\"liveness\": \"ALIVE\"}, \"complete\": true, \"problems\": []}"), json);
    }

    @Test
    void remainsOfABufferAreListedWithWhatIsMissing() {
        // a claim whose buffer is gone (a crashed setup), and a plug nobody claims or feeds
        host.fakeXenstore().write("/libxl/5/remus/netbuf/0/ifb", "ifb2");
        host.trafficControl().addPlug("ifb1", 1000);
        CliRunner.Result r = cli.netbuf("status");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("incomplete: IFB down, no redirect, not claimed in xenstore"), r.out());
        assertTrue(r.out().contains("incomplete: IFB down, no plug, no redirect"), r.out());
        String json = cli.netbuf("status", "--json").out();
        assertTrue(json.contains("\"vif\": \"vif5.0\", \"ifb\": \"ifb2\", \"domid\": 5"), json);
        assertTrue(json.contains("\"complete\": false, \"problems\": [\"IFB down\", \"no plug\", \"no redirect\"]"),
                json);
    }

    @Test
    void rejectsUnknownOptions() {
        CliRunner.Result r = cli.netbuf("status", "--yaml");
        assertEquals(2, r.status());
        assertEquals("netbuf status: unknown option --yaml (see 'netbuf status --help')\n", r.err());
    }
}
