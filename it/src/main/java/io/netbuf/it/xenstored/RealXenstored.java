package io.netbuf.it.xenstored;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.it.RepoLayout;
import io.netbuf.it.Requirements;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One of Xen's own XenStore daemons (Debian's {@code xen-utils-4.17}: the C {@code xenstored} or the
 * OCaml {@code oxenstored}) running as a real process on this machine without a hypervisor, for
 * tests, like Curator's {@code TestingServer}: {@link #start(Flavour)} fetches the daemons once per
 * machine ({@code it/xenstored-real/xenstored-real.sh prepare}: {@code apt-get download} +
 * {@code dpkg -x}, cached per version, and an {@code LD_PRELOAD} shim built with gcc), starts one in a
 * private temporary directory and waits until its socket answers; {@link #close()} kills it and
 * removes the directory. Its output is in {@link #log()}.
 *
 * <p>When the daemons cannot be fetched or started the test is skipped loudly, or fails when the
 * build requires privileged tests ({@code CI=true}). Not thread-safe: one test drives it.
 */
public final class RealXenstored implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(RealXenstored.class);
    private static final Duration PREPARE_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);
    private static Map<String, String> prepared;
    private static String prepareFailure;

    /** Which daemon. */
    public enum Flavour {
        /** The C {@code xenstored} ({@code tools/xenstore} in Xen's tree). */
        C("xenstored"),
        /** The OCaml {@code oxenstored} ({@code tools/ocaml/xenstored}). */
        OCAML("oxenstored");

        private final String binary;

        Flavour(String binary) {
            this.binary = binary;
        }

        /** @return the daemon's program name */
        public String binary() {
            return binary;
        }
    }

    private final Flavour flavour;
    private final Map<String, String> env;
    private final Path dir;
    private Process process;

    private RealXenstored(Flavour flavour, Map<String, String> env, Path dir) {
        this.flavour = flavour;
        this.env = env;
        this.dir = dir;
    }

    /**
     * Fetches (once per machine) and starts a daemon, and waits until its socket accepts.
     *
     * @param flavour which daemon
     * @return the running daemon
     * @throws org.opentest4j.TestAbortedException (a loud skip) when it cannot run here and the build does
     *     not require privileged tests; an {@link AssertionError} when it does
     */
    public static RealXenstored start(Flavour flavour) {
        Requirements.require(prepare() != null, "Xen's " + flavour.binary()
                + " (it/xenstored-real/xenstored-real.sh prepare: " + prepareFailure + ")");
        return run(flavour);
    }

    /**
     * As {@link #start(Flavour)}, outside JUnit (benchmarks, tools).
     *
     * @param flavour which daemon
     * @return the running daemon
     * @throws IllegalStateException when the daemons cannot be fetched here
     * @throws AssertionError when the daemon does not start
     */
    public static RealXenstored run(Flavour flavour) {
        Map<String, String> env = prepare();
        if (env == null) {
            throw new IllegalStateException("cannot fetch Xen's " + flavour.binary() + ": " + prepareFailure);
        }
        Path dir;
        try {
            dir = Files.createTempDirectory("netbuf-" + flavour.binary() + "-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RealXenstored daemon = new RealXenstored(flavour, env, dir);
        try {
            daemon.launch();
        } catch (RuntimeException | Error e) {
            daemon.close();
            throw e;
        }
        return daemon;
    }

    /** @return the version of Debian's {@code xen-utils-4.17} in use, or empty when it could not be fetched */
    public static synchronized String version() {
        Map<String, String> env = prepare();
        return env == null ? "" : env.get("VERSION");
    }

    /** Runs the fetch script once per JVM; null (and {@link #prepareFailure}) when it failed. */
    private static synchronized Map<String, String> prepare() {
        if (prepared != null || prepareFailure != null) {
            return prepared;
        }
        Path script = RepoLayout.root().resolve("it/xenstored-real/xenstored-real.sh");
        long start = System.nanoTime();
        LOG.info("preparing Xen's xenstored and oxenstored ({} prepare)", script);
        CommandRunner.Result result;
        try {
            result = new CommandRunner(PREPARE_TIMEOUT, System.getenv())
                    .run("bash", "fetch Xen's xenstored", List.of("bash", script.toString(), "prepare"));
        } catch (RuntimeException e) {
            prepareFailure = e.getMessage();
            return null;
        }
        if (!result.ok()) {
            prepareFailure = "exit " + result.exitCode() + ": " + result.stderr().strip();
            return null;
        }
        Map<String, String> values = new HashMap<>();
        result.stdout().lines().filter(l -> l.indexOf('=') > 0)
                .forEach(l -> values.put(l.substring(0, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        LOG.info("xen-utils-4.17 {} ready in {} ms", values.get("VERSION"), (System.nanoTime() - start) / 1_000_000);
        prepared = Map.copyOf(values);
        return prepared;
    }

    private void launch() {
        List<String> argv;
        if (flavour == Flavour.C) {
            argv = List.of(env.get("XENSTORED"), "--no-fork", "--pid-file", dir.resolve("pid").toString());
        } else {
            Path conf = dir.resolve("oxenstored.conf");
            write(conf, String.join("\n",
                    "pid-file = " + dir.resolve("pid"),
                    "xenstored-kva = " + dir.resolve("xsd_kva"),
                    "xenstored-port = " + dir.resolve("xsd_port"),
                    "xenstored-log-file = " + dir.resolve("xenstored.log"),
                    "access-log-file = " + dir.resolve("access.log"),
                    "persistent = false", ""));
            argv = List.of(env.get("OXENSTORED"), "--no-fork", "--config-file", conf.toString());
        }
        ProcessBuilder builder = new ProcessBuilder(argv).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile()));
        Map<String, String> penv = builder.environment();
        penv.put("LD_PRELOAD", env.get("SHIM"));
        penv.put("LD_LIBRARY_PATH", env.get("LIBS"));
        penv.put("NETBUF_XENSHIM_DIR", dir.toString());
        penv.put("XENSTORED_RUNDIR", dir.toString());
        try {
            Files.deleteIfExists(socketPath());
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError("cannot start " + argv + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers()) {
            if (!process.isAlive()) {
                throw new AssertionError(flavour.binary() + " exited " + process.exitValue() + " at start: " + log());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(flavour.binary() + " did not open " + socketPath() + " within "
                        + START_TIMEOUT.toSeconds() + " s: " + log());
            }
            sleep(20);
        }
        LOG.info("{} (pid {}) answers on {}", flavour.binary(), process.pid(), socketPath());
    }

    private boolean answers() {
        if (!Files.exists(socketPath())) {
            return false;
        }
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socketPath()));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** @return which daemon this is */
    public Flavour flavour() {
        return flavour;
    }

    /** @return its unix socket */
    public Path socketPath() {
        return dir.resolve("socket");
    }

    /** @return {@code XENSTORED_PATH} pointing at it, for Debian's {@code xenstore-*} tools */
    public Map<String, String> environment() {
        return Map.of("XENSTORED_PATH", socketPath().toString());
    }

    /** @return the daemon's process id */
    public long pid() {
        return process.pid();
    }

    /** @return what the daemon printed and logged so far */
    public String log() {
        StringBuilder out = new StringBuilder();
        for (String name : List.of("daemon.log", "xenstored.log")) {
            Path file = dir.resolve(name);
            try {
                if (Files.exists(file)) {
                    out.append(Files.readString(file));
                }
            } catch (IOException e) {
                out.append("(").append(file).append(": ").append(e.getMessage()).append(")");
            }
        }
        return out.toString();
    }

    /** Freezes the daemon (SIGSTOP): it neither reads nor answers until {@link #resume()}. */
    public void pause() {
        signal("STOP");
    }

    /** Lets a paused daemon run again (SIGCONT). */
    public void resume() {
        signal("CONT");
    }

    /** Kills the daemon and starts a fresh one (an empty store) on the same socket. */
    public void restart() {
        kill();
        launch();
    }

    private void signal(String name) {
        new CommandRunner(Duration.ofSeconds(10), System.getenv())
                .check("procps", "signal " + flavour.binary(), List.of("kill", "-" + name, Long.toString(process.pid())));
    }

    private void kill() {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                LOG.warn("{} (pid {}) did not exit within 10 s of SIGKILL", flavour.binary(), process.pid());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        process = null;
    }

    /** Kills the daemon and removes its directory. Idempotent. */
    @Override
    public void close() {
        kill(); // SIGKILL ends a paused daemon too
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("cannot remove {}: {}", dir, e.getMessage());
        }
    }

    @Override
    public String toString() {
        return flavour.binary() + "[" + socketPath() + "]";
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for xenstored", e);
        }
    }
}
