package io.netbuf.impl.exec;

import io.netbuf.MissingToolException;
import io.netbuf.OperationFailedException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteException;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.PumpStreamHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one external command per call through Commons Exec: argv only (never a shell), a fresh
 * executor per call, a watchdog timeout, a stop timeout on the stream pumper, and exit codes
 * mapped to the typed exceptions. Thread-safe.
 */
public final class CommandRunner {
    private static final Logger LOG = LoggerFactory.getLogger(CommandRunner.class);
    /** Default longest run of one command. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PUMP_STOP_TIMEOUT = Duration.ofSeconds(2);

    private final Duration timeout;
    private final Map<String, String> environment;

    /**
     * @param timeout the longest a command may run before it is killed
     * @param environment the command's environment, or null to inherit this process's
     */
    public CommandRunner(Duration timeout, Map<String, String> environment) {
        this.timeout = timeout;
        this.environment = environment == null ? null : Map.copyOf(environment);
    }

    /** A runner with {@link #DEFAULT_TIMEOUT} and the inherited environment. */
    public CommandRunner() {
        this(DEFAULT_TIMEOUT, null);
    }

    /** @return the timeout of one command */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The outcome of a command that ran to completion.
     *
     * @param argv what ran
     * @param exitCode its exit status
     * @param stdout standard output
     * @param stderr standard error
     */
    public record Result(List<String> argv, int exitCode, String stdout, String stderr) {
        /** @return whether it exited 0 */
        public boolean ok() {
            return exitCode == 0;
        }
    }

    /**
     * Runs a command and returns its output whatever its exit status.
     *
     * @param tool the Debian package that provides {@code argv[0]} (for the missing-tool error)
     * @param operation what netbuf is doing, for errors
     * @param argv the command and its arguments
     * @return the result
     * @throws MissingToolException when the executable cannot be found
     * @throws OperationFailedException when it times out, cannot start, or the wait is interrupted
     */
    public Result run(String tool, String operation, List<String> argv) {
        CommandLine line = new CommandLine(executable(tool, argv.get(0)));
        for (String arg : argv.subList(1, argv.size())) {
            line.addArgument(arg, false);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PumpStreamHandler streams = new PumpStreamHandler(out, err);
        streams.setStopTimeout(PUMP_STOP_TIMEOUT);
        ExecuteWatchdog watchdog = ExecuteWatchdog.builder().setTimeout(timeout).get();
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setStreamHandler(streams);
        executor.setWatchdog(watchdog);
        executor.setExitValues(null);
        long start = System.nanoTime();
        int exit;
        try {
            exit = executor.execute(line, environment);
        } catch (ExecuteException e) {
            exit = e.getExitValue();
        } catch (IOException e) {
            if (isMissingExecutable(e)) {
                throw new MissingToolException(argv.get(0), tool, null, e);
            }
            throw OperationFailedException.of(operation, "could not run `" + String.join(" ", argv) + "`: "
                    + e.getMessage(), null, null, e);
        } finally {
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
            }
        }
        String stdout = out.toString(StandardCharsets.UTF_8);
        String stderr = err.toString(StandardCharsets.UTF_8);
        if (watchdog.killedProcess()) {
            throw OperationFailedException.ofCommand(operation, argv, -1,
                    "killed after " + timeout.toMillis() + " ms timeout" + (stderr.isBlank() ? "" : ": " + stderr),
                    null, null);
        }
        if (Thread.currentThread().isInterrupted()) {
            throw OperationFailedException.of(operation, "interrupted while running `" + String.join(" ", argv) + "`",
                    null, null, new InterruptedException());
        }
        if (LOG.isDebugEnabled()) {
            LOG.debug("{} -> exit {} in {} us", argv, exit, (System.nanoTime() - start) / 1000);
        }
        return new Result(List.copyOf(argv), exit, stdout, stderr);
    }

    /**
     * Runs a command that must succeed.
     *
     * @param tool the Debian package that provides {@code argv[0]}
     * @param operation what netbuf is doing, for errors
     * @param argv the command and its arguments
     * @return standard output
     * @throws OperationFailedException with argv, exit status and stderr when it exits non-zero
     */
    public String check(String tool, String operation, List<String> argv) {
        Result result = run(tool, operation, argv);
        if (!result.ok()) {
            throw OperationFailedException.ofCommand(operation, argv, result.exitCode(), result.stderr(), null, null);
        }
        return result.stdout();
    }

    /**
     * @param first the command
     * @param rest its arguments
     * @return an argv list
     */
    public static List<String> argv(String first, String... rest) {
        List<String> argv = new ArrayList<>(rest.length + 1);
        argv.add(first);
        argv.addAll(List.of(rest));
        return argv;
    }

    /**
     * The JVM looks executables up in its own PATH, not in the child's environment: when this
     * runner has an environment with a PATH, the bare name is resolved there, so a tool that is
     * missing from it is missing for real.
     */
    private String executable(String tool, String name) {
        String path = environment == null ? null : environment.get("PATH");
        if (path == null || name.indexOf('/') >= 0) {
            return name;
        }
        for (String dir : path.split(":")) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new MissingToolException(name, tool, null, null);
    }

    private static boolean isMissingExecutable(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("error=2,") || message.contains("No such file or directory")) {
                return true;
            }
        }
        return false;
    }
}
