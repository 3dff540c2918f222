package io.netbuf.cli;

import io.netbuf.spi.Host;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import io.netbuf.testkit.FakeHost;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Runs the command line in this JVM against a given host and captures what it prints. */
public final class CliRunner {
    private final Host host;
    private final Cli cli;

    /** What one run did. */
    public record Result(int status, String out, String err) {
    }

    /** @param host the host every command runs on */
    public CliRunner(Host host) {
        this(host, Cli.standard());
    }

    CliRunner(Host host, Cli cli) {
        this.host = host;
        this.cli = cli;
    }

    /**
     * Runs the command line. As the launcher always does, {@code NETBUF_OWNER_PID} names the process
     * that started it (on a {@link FakeHost}: a fake process started for the run, standing for libxl),
     * unless the environment given sets it.
     */
    public Result run(Map<String, String> environment, String invokedAs, String... args) {
        if (host instanceof FakeHost fake && !environment.containsKey(RemusNetbufSetupCommand.OWNER_PID_ENV)) {
            Map<String, String> withOwner = new HashMap<>(environment);
            withOwner.put(RemusNetbufSetupCommand.OWNER_PID_ENV, Long.toString(fake.processes().start().pid()));
            environment = withOwner;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            status = cli.run(invokedAs, List.of(args), new Context(o, e, environment, timeout -> host));
        }
        return new Result(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** @return what {@code netbuf ARGS} did */
    public Result netbuf(String... args) {
        return run(Map.of(), Cli.PROGRAM, args);
    }
}
