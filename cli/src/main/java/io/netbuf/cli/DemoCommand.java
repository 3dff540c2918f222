package io.netbuf.cli;

import io.netbuf.BufferStats;
import io.netbuf.NetworkBuffer;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.spi.KernelFeature;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * {@code netbuf demo}: output buffering in action, on whatever this machine offers. It attaches a
 * buffer to a guest's vif, runs a Remus-style loop (let the guest run for an interval, checkpoint,
 * wait for the simulated backup's acknowledgement, commit) while the guest sends traffic, shows what
 * is held and released and the delay buffering adds, then tears everything down. Ctrl-C stops it
 * early and still tears down.
 */
final class DemoCommand implements Command {
    private static final Options OPTIONS = new Options()
            .option("epochs", "N", "checkpoints to run (default 20)")
            .option("interval-ms", "N", "how long the guest runs between checkpoints (default 100)")
            .flag("simulated", "use the simulated host even when the real kernel could run the demo");

    private final Supplier<String> realKernelUnavailable;

    /** The demo as users run it: real kernel when possible. */
    DemoCommand() {
        this(DemoCommand::realKernelUnavailable);
    }

    /** @param realKernelUnavailable why the real kernel cannot host the demo, or null when it can */
    DemoCommand(Supplier<String> realKernelUnavailable) {
        this.realKernelUnavailable = realKernelUnavailable;
    }

    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "watch a guest's output being held and released per checkpoint (runs anywhere)";
    }

    @Override
    public String help() {
        return "Usage: " + Cli.PROGRAM + " demo [--epochs N] [--interval-ms N] [--simulated]\n\n"
                + "Attaches a buffer to a guest's vif and runs a Remus-style loop: the guest runs for an\n"
                + "interval, a checkpoint closes the epoch, the (simulated) backup acknowledges, the epoch is\n"
                + "committed and its packets leave. Shows packets held and released and the delay buffering\n"
                + "adds; tears everything down at the end or on Ctrl-C.\n\n"
                + "Where: as root on a kernel with sch_plug, two throwaway network namespaces joined by a veth\n"
                + "(the guest pings the host side; real plug qdisc, real IFB). Otherwise the testkit's\n"
                + "simulated host, and the first line says why.\n\n"
                + "Options:\n" + OPTIONS.describe();
    }

    @Override
    public int run(List<String> args, Context context) {
        Options.Parsed parsed = OPTIONS.parse(args);
        int epochs = (int) parsed.number("epochs", 20, 1, 1_000_000);
        long intervalMs = parsed.number("interval-ms", 100, 1, 60_000);
        PrintStream out = context.out();
        String reason = parsed.has("simulated") ? "--simulated was given" : realKernelUnavailable.get();
        DemoGuest guest = reason == null ? new NamespaceGuest() : new SimulatedGuest(reason);
        out.println("netbuf demo: " + guest.description());
        Thread worker = Thread.currentThread();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            worker.interrupt();
            try {
                finished.await(15, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "netbuf-demo-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return new DemoLoop(guest, out, epochs, intervalMs).run();
        } finally {
            guest.close();
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down (Ctrl-C): the hook is running and has just been released
            }
        }
    }

    /** @return why the real kernel cannot host the demo here, or null when it can */
    static String realKernelUnavailable() {
        if (!isRoot()) {
            return "not running as root, so no network namespaces";
        }
        for (String tool : List.of("ip", "ping")) {
            if (!onPath(tool)) {
                return "the '" + tool + "' command is missing";
            }
        }
        Set<KernelFeature> missing = new HostKernelFeatures().missing(EnumSet.allOf(KernelFeature.class));
        if (!missing.isEmpty()) {
            return "this kernel lacks " + missing.stream().map(f -> f.module() + " (" + f.description() + ")")
                    .collect(Collectors.joining(", "));
        }
        return null;
    }

    private static boolean isRoot() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** The checkpoint loop and its report. */
    static final class DemoLoop {
        private final DemoGuest guest;
        private final PrintStream out;
        private final int epochs;
        private final long intervalMs;
        private final long ackMs;
        private final LatencyRecorder latency = new LatencyRecorder();

        DemoLoop(DemoGuest guest, PrintStream out, int epochs, long intervalMs) {
            this.guest = guest;
            this.out = out;
            this.epochs = epochs;
            this.intervalMs = intervalMs;
            this.ackMs = Math.max(1, intervalMs / 5);
        }

        int run() {
            long start = System.nanoTime();
            int done = 0;
            boolean interrupted = false;
            BufferStats last = null;
            String ifb;
            try (NetworkBuffer buffer = guest.attach()) {
                ifb = buffer.ifb();
                out.printf(Locale.ROOT, "attached: %s -> %s (plug, limit %,d bytes), claim %s/ifb = %s%n", buffer.vif(), ifb,
                        buffer.limit(), DemoGuest.XENBUS_PATH, guest.xenstoreRead(DemoGuest.XENBUS_PATH + "/ifb"));
                out.printf(Locale.ROOT, "loop: guest runs %d ms, checkpoint, backup ack after %d ms, commit; %d epochs%n",
                        intervalMs, ackMs, epochs);
                out.println(" epoch   held  released  dropped   added delay (mean / max)");
                guest.startTraffic(latency);
                int every = Math.max(1, epochs / 20);
                try {
                    for (int epoch = 1; epoch <= epochs; epoch++) {
                        Thread.sleep(intervalMs);       // the guest runs; its output is held
                        buffer.checkpoint();            // guest suspended: the epoch is closed
                        long held = buffer.stats().backlogPackets();
                        Thread.sleep(ackMs);            // checkpoint sent; waiting for the backup's ack
                        buffer.commit();                // acknowledged: the epoch's output leaves
                        guest.afterCommit();
                        last = buffer.stats();
                        done = epoch;
                        if (epoch % every == 0 || epoch == epochs) {
                            out.printf(Locale.ROOT, "%6d %6d %9d %8d   %7.1f / %.1f ms%n", epoch, held, last.sentPackets(),
                                    last.drops(), latency.meanMillis(), latency.maxMillis());
                        }
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                    // Clear the flag so that teardown's own commands are not refused as interrupted.
                    Thread.interrupted();
                    out.println("interrupted: tearing down");
                }
                if (last == null) {
                    last = buffer.stats();
                }
            }
            boolean claimGone = guest.xenstoreRead(DemoGuest.XENBUS_PATH + "/ifb") == null;
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "torn down: redirect and plug removed from %s, claim %s%n", ifb,
                    claimGone ? "removed" : "STILL PRESENT");
            out.printf(Locale.ROOT, "summary: %d of %d epochs in %.1f s; guest sent %d packets, %d released after "
                    + "their checkpoint, %d dropped, %d discarded at teardown; buffering added %.1f ms on average "
                    + "(max %.1f ms)%n", done, epochs, seconds, guest.sent(), last.sentPackets(), last.drops(),
                    Math.max(0, guest.sent() - last.sentPackets() - last.drops()), latency.meanMillis(),
                    latency.maxMillis());
            return interrupted ? 130 : claimGone ? Cli.OK : Cli.FAILURE;
        }
    }
}
