package io.netbuf.cli;

import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The training run behind the launchers' class archive (on JDK 25+ an AOT cache,
 * {@code -XX:AOTCacheOutput}, which also keeps the classes loaded and linked; on older JDKs an AppCDS
 * archive, {@code -XX:ArchiveClassesAtExit}): runs the commands' hot paths so that the classes they
 * load go into the archive the launchers map at start-up. It changes nothing on the host:
 * {@code remus-netbuf-setup setup} and {@code teardown} run through the real host against a xenstored
 * served in this process, for a vif that does not exist (so setup fails after the kernel feature
 * check, as it would for a missing vif), then succeed on the testkit's simulated host (the engine's
 * attach path); then status, reap (without --apply) and a one-epoch simulated demo. Output is
 * discarded.
 */
public final class CdsTraining {
    private static final String ABSENT_VIF = "nbcds-absent0";

    private CdsTraining() {
    }

    /**
     * Runs the training.
     *
     * @param args ignored
     */
    public static void main(String[] args) {
        PrintStream discard = StdStreams.discarding();
        Main.configureLogging(new StdStreams(discard, discard, false, false), RemusNetbufSetupCommand.NAME,
                Map.of());
        Cli cli = Cli.standard();
        try (XenstoredServer xenstored = XenstoredServer.start()) {
            xenstored.store().write("/local/domain/7/name", "training");
            Map<String, String> env = Map.of("XENSTORED_PATH", xenstored.socketPath().toString(),
                    RemusNetbufSetupCommand.VIFNAME, ABSENT_VIF,
                    RemusNetbufSetupCommand.XENBUS_PATH, "/libxl/7/remus/netbuf/0",
                    RemusNetbufSetupCommand.REMUS_IFB, "ifb0");
            Context context = new Context(discard, discard, env, Context.Hosts.system(env));
            cli.run(RemusNetbufSetupCommand.NAME, List.of("setup"), context);
            cli.run(RemusNetbufSetupCommand.NAME, List.of("teardown"), context);
            FakeHost simulated = FakeHost.create().withVif(ABSENT_VIF).withIfbs(1)
                    .withXenstore("/local/domain/7/name", "training");
            Context onSimulated = new Context(discard, discard, env, timeout -> simulated);
            cli.run(RemusNetbufSetupCommand.NAME, List.of("setup"), onSimulated);
            cli.run(RemusNetbufSetupCommand.NAME, List.of("teardown"), onSimulated);
            cli.run(Cli.PROGRAM, List.of("status", "--json"), context);
            cli.run(Cli.PROGRAM, List.of("reap"), context);
            cli.run(Cli.PROGRAM, List.of("demo", "--simulated", "--epochs", "1", "--interval-ms", "1"), context);
            for (String command : List.of("demo", "status", "reap", RemusNetbufSetupCommand.NAME)) {
                cli.run(Cli.PROGRAM, List.of(command, "--help"), context);
            }
        }
        System.exit(0);
    }
}
