package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.OperationFailedException;
import io.netbuf.XenstoreException;
import io.netbuf.testkit.FakeHost;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CliTest {
    private final CliRunner cli = new CliRunner(FakeHost.create());

    @Test
    void withoutArgumentsShowsTheCommandsAndExitsTwo() {
        CliRunner.Result r = cli.netbuf();
        assertEquals(2, r.status());
        for (String command : List.of("demo", "status", "remus-netbuf-setup", "reap")) {
            assertTrue(r.out().contains("\n  " + command + " "), r.out());
        }
    }

    @Test
    void helpIsNotAFailure() {
        assertEquals(0, cli.netbuf("--help").status());
        CliRunner.Result r = cli.netbuf("help", "status");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("Usage: netbuf status"), r.out());
    }

    @Test
    void everyCommandPrintsItsVersion() {
        String version = Cli.version();
        assertTrue(version.matches("\\d+\\.\\d+\\.\\d+.*"), version);
        CliRunner.Result r = cli.netbuf("--version");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("netbuf (netbuf) " + version + "\njava " + System.getProperty("java.version")),
                r.out());
        for (String command : List.of("demo", "status", "reap", "remus-netbuf-setup")) {
            CliRunner.Result c = cli.netbuf(command, "--version");
            assertEquals(0, c.status(), c.err());
            assertTrue(c.out().startsWith("netbuf " + command + " (netbuf) " + version + "\n"), c.out());
        }
        CliRunner.Result hotplug = cli.run(Map.of(), "remus-netbuf-setup", "--version");
        assertEquals(0, hotplug.status());
        assertTrue(hotplug.out().startsWith("remus-netbuf-setup (netbuf) " + version + "\n"), hotplug.out());
    }

    @Test
    void anUnknownCommandIsAUsageError() {
        CliRunner.Result r = cli.netbuf("stauts");
        assertEquals(2, r.status());
        assertEquals("netbuf: unknown command 'stauts' (commands: demo, remus-netbuf-setup, status, buffer, reap; see "
                + "'netbuf --help')\n", r.err());
    }

    @Test
    void theNameItWasStartedByPicksTheCommand() {
        CliRunner.Result r = cli.run(Map.of(), "remus-netbuf-setup", "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().startsWith("Usage: remus-netbuf-setup setup|teardown"), r.out());
    }

    @Test
    void failuresAreOneLineWithTheirTypeAndCause() {
        Command failing = new Command() {
            @Override
            public String name() {
                return "fail";
            }

            @Override
            public String summary() {
                return "fails";
            }

            @Override
            public String help() {
                return "";
            }

            @Override
            public int run(List<String> args, Context context) {
                throw new XenstoreException("write", "/libxl/1/ifb", "EACCES", "permission\ndenied",
                        new java.io.IOException("socket closed"));
            }
        };
        CliRunner.Result r = new CliRunner(FakeHost.create(), new Cli(List.of(failing))).netbuf("fail");
        assertEquals(1, r.status());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("netbuf fail: "), r.err());
        assertTrue(r.err().contains("[XenstoreException]; caused by IOException: socket closed"), r.err());
        assertTrue(r.err().contains("permission denied"), r.err());
    }

    @Test
    void oneLineKeepsACauseThatAddsInformation() {
        OperationFailedException e = OperationFailedException.ofCommand("add plug qdisc",
                List.of("tc", "qdisc", "add"), 2, "Error: Specified qdisc kind is unknown.\n", null, null);
        String line = Cli.oneLine(e);
        assertTrue(line.endsWith("[OperationFailedException]"), line);
        assertTrue(line.contains("Specified qdisc kind is unknown."), line);
        assertTrue(!line.contains("\n"), line);
    }
}
