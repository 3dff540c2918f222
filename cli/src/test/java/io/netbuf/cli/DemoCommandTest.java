package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.testkit.FakeHost;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DemoCommandTest {
    private static final Pattern SUMMARY = Pattern.compile("summary: (\\d+) of (\\d+) epochs in [0-9.]+ s; guest sent "
            + "(\\d+) packets, (\\d+) released after their checkpoint, (\\d+) dropped, (\\d+) discarded at teardown; "
            + "buffering added ([0-9.]+) ms on average \\(max ([0-9.]+) ms\\)");

    private CliRunner.Result demo(String reason, String... args) {
        Cli cli = new Cli(List.of(new DemoCommand(() -> reason)));
        return new CliRunner(FakeHost.create(), cli).netbuf(args);
    }

    @Test
    void runsTheLoopOnTheSimulatedHostAndSaysWhy() {
        CliRunner.Result r = demo("this kernel lacks sch_plug (the plug qdisc)", "demo", "--epochs", "4",
                "--interval-ms", "30");
        assertEquals(0, r.status(), r.out() + r.err());
        String[] lines = r.out().split("\n");
        assertEquals("netbuf demo: simulated host (testkit FakeHost): this kernel lacks sch_plug (the plug qdisc)",
                lines[0]);
        assertTrue(lines[1].startsWith("attached: vif1.0 -> ifb0 (plug, limit 10,000,000 bytes), claim "
                + "/libxl/1/remus/netbuf/0/ifb = ifb0"), lines[1]);
        assertEquals(4, r.out().lines().filter(l -> l.matches("\\s+\\d+\\s+\\d+\\s+\\d+\\s+\\d+\\s+.*ms")).count(),
                r.out());
        assertTrue(r.out().contains("torn down: redirect and plug removed from ifb0, claim removed"), r.out());
        Matcher m = SUMMARY.matcher(r.out());
        assertTrue(m.find(), r.out());
        assertEquals("4", m.group(1));
        long sent = Long.parseLong(m.group(3));
        long released = Long.parseLong(m.group(4));
        long discarded = Long.parseLong(m.group(6));
        assertTrue(released > 0 && released <= sent, r.out());
        assertEquals(sent, released + Long.parseLong(m.group(5)) + discarded, "every packet accounted for");
        // each released packet waited for its checkpoint plus the 6 ms ack: never less than the ack
        assertTrue(Double.parseDouble(m.group(7)) >= 6, r.out());
        assertEquals("", r.err());
    }

    @Test
    void simulatedFlagSkipsTheRealKernel() {
        CliRunner.Result r = demo(null, "demo", "--simulated", "--epochs", "1", "--interval-ms", "5");
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().startsWith("netbuf demo: simulated host (testkit FakeHost): --simulated was given\n"),
                r.out());
    }

    @Test
    void badOptionsAreUsageErrors() {
        CliRunner.Result r = demo("x", "demo", "--epochs", "0");
        assertEquals(2, r.status());
        assertEquals("netbuf demo: --epochs must be between 1 and 1000000, not 0 (see 'netbuf demo --help')\n",
                r.err());
        assertEquals("", r.out(), "nothing ran");
    }

    @Test
    void helpNamesEveryOption() {
        CliRunner.Result r = demo("x", "demo", "--help");
        assertEquals(0, r.status());
        for (String option : List.of("--epochs N", "--interval-ms N", "--simulated", "--help")) {
            assertTrue(r.out().contains(option), option);
        }
    }

    @Test
    void theRealKernelCheckGivesAReasonOnThisKindOfMachine() {
        String reason = DemoCommand.realKernelUnavailable();
        if (reason != null) {
            assertTrue(reason.startsWith("not running as root") || reason.startsWith("the '")
                    || reason.startsWith("this kernel lacks "), reason);
        }
    }
}
