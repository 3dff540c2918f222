package io.netbuf.cli;

import io.netbuf.NetworkBufferException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.features.BootFeatureCache;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.features.NamespaceProbe;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.xenstored.XenstoredServer;
import io.netbuf.cli.log.HotplugLog;
import io.netbuf.cli.log.Syslog;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/**
 * The training run behind the launchers' class archive (on JDK 25+ an AOT cache,
 * {@code -XX:AOTCacheOutput}, which also keeps the classes loaded and linked; on older JDKs an AppCDS
 * archive, {@code -XX:ArchiveClassesAtExit}): runs the commands' hot paths so that the classes they
 * load go into the archive the launchers map at start-up. It changes nothing on the host:
 * {@code remus-netbuf-setup setup} and {@code teardown} run through the real host against a xenstored
 * served in this process, for a vif that does not exist (so setup fails after the kernel feature
 * check, as it would for a missing vif; what the check finds is cached in a temporary directory,
 * not in the host's per-boot cache); then once more for a real vif in a throwaway network namespace
 * (as far as the kernel allows: all the way where it has sch_plug); then they succeed on the
 * testkit's simulated host (the engine's attach path); then status, reap (without --apply) and a
 * one-epoch simulated demo. Output is discarded.
 */
public final class CdsTraining {
    private static final String ABSENT_VIF = "nbcds-absent0";
    private static final String TRAINING_VIF = "vif7.0";
    private static final String XENBUS_PATH = "/libxl/7/remus/netbuf/0";

    private CdsTraining() {
    }

    /** The host of a {@link #hotplugRound}. */
    @FunctionalInterface
    public interface HostIn {
        /**
         * @param namespace the network namespace ({@code ip netns} name) the host must act in
         * @param environment the round's environment ({@code XENSTORED_PATH} of its xenstored)
         * @param lockDir the lock directory to use instead of Xen's (a temporary one)
         * @return what opens the host
         */
        Context.Hosts hosts(String namespace, Map<String, String> environment, Path lockDir);
    }

    /**
     * Runs the training, then exits.
     *
     * @param args ignored
     * @throws IOException if the scratch directory cannot be made
     */
    public static void main(String[] args) throws IOException {
        train();
        System.exit(0);
    }

    /**
     * Runs the commands' hot paths as described above, output discarded; plus, when this process
     * may create network namespaces, a whole hotplug round on the real host
     * ({@link #hotplugRound}), which gets as far as the running kernel allows.
     *
     * @throws IOException if the scratch directory cannot be made
     */
    public static void train() throws IOException {
        // What Main does before a command runs, so that the archive holds its classes too.
        Main.NativeWarmUp.start();
        Context.Hosts systemHosts = new Main.SystemHosts().apply(System.getenv());
        PrintStream discard = StdStreams.discarding();
        Path scratch = Files.createTempDirectory("netbuf-training");
        // Standard error "open" (to a sink): log lines are formatted, as when libxl runs the script; the hotplug
        // log's file and syslog parts write into the scratch directory (no daemon listens there).
        HotplugLog hotplug = HotplugLog.open(RemusNetbufSetupCommand.NAME, Map.of(
                HotplugLog.FILE_ENV, scratch.resolve("xen-hotplug.log").toString(),
                HotplugLog.SOCKET_ENV, scratch.resolve("log").toString()));
        Main.configureLogging(new StdStreams(discard, discard, true, true), hotplug, RemusNetbufSetupCommand.NAME,
                Map.of());
        hotplug.line(Syslog.WARNING, "warning: training");
        discard = hotplug.errors(discard);
        Cli cli = Cli.standard();
        try (XenstoredServer xenstored = XenstoredServer.start()) {
            xenstored.store().write("/local/domain/7/name", "training");
            Map<String, String> env = Map.of("XENSTORED_PATH", xenstored.socketPath().toString(),
                    RemusNetbufSetupCommand.VIFNAME, ABSENT_VIF,
                    RemusNetbufSetupCommand.XENBUS_PATH, XENBUS_PATH,
                    RemusNetbufSetupCommand.REMUS_IFB, "ifb0");
            BootFeatureCache bootCache = BootFeatureCache.forRunningKernel();
            KernelFeatures features = new HostKernelFeatures(HostKernelFeatures.Sources.host(),
                    new NamespaceProbe(new CommandRunner()),
                    bootCache == null ? null : bootCache.in(scratch.resolve("kernel-features")));
            Context context = new Context(discard, discard, env, Context.Hosts.system(env, features));
            cli.run(RemusNetbufSetupCommand.NAME, List.of("setup"), context);
            cli.run(RemusNetbufSetupCommand.NAME, List.of("teardown"), context);
            hotplugRound((namespace, environment, lockDir) -> timeout -> SystemHost.fromSystemProperties()
                    .environment(environment).commandTimeout(timeout).namespace(namespace).lockDir(lockDir)
                    .kernelFeatures(features).build());
            FakeHost simulated = FakeHost.create().withVif(ABSENT_VIF).withIfbs(1)
                    .withXenstore("/local/domain/7/name", "training");
            Context onSimulated = new Context(discard, discard, env, timeout -> simulated);
            cli.run(RemusNetbufSetupCommand.NAME, List.of("setup"), onSimulated);
            cli.run(RemusNetbufSetupCommand.NAME, List.of("teardown"), onSimulated);
            cli.run(Cli.PROGRAM, List.of("status", "--json"), context);
            cli.run(Cli.PROGRAM, List.of("reap"), context);
            cli.run(Cli.PROGRAM, List.of("demo", "--simulated", "--epochs", "1", "--interval-ms", "1"), context);
            for (String command : List.of("demo", "status", "reap", RemusNetbufSetupCommand.NAME)) {
                cli.run(Cli.PROGRAM, List.of(command, "--help"),
                        new Context(discard, discard, System.getenv(), systemHosts));
            }
        } finally {
            deleteTree(scratch);
        }
    }

    /**
     * One {@code remus-netbuf-setup setup} and {@code teardown} as libxl runs them, for a real vif
     * (a veth) with one free IFB, in a throwaway network namespace (always deleted) against a
     * xenstored served in this process and a temporary lock directory: the path a hotplug call takes
     * on a dom0. Where the kernel lacks something (sch_plug) setup fails and rolls back, which trains
     * that much. Does nothing when the namespace cannot be made (not root, no iproute2). Output is
     * discarded.
     *
     * @param hostIn opens the host of the round
     */
    public static void hotplugRound(HostIn hostIn) {
        CommandRunner runner = new CommandRunner();
        String ns = "nbtrain-" + ProcessHandle.current().pid();
        try {
            runner.check("iproute2", "create the training namespace", List.of("ip", "netns", "add", ns));
        } catch (NetworkBufferException e) {
            return;
        }
        PrintStream discard = StdStreams.discarding();
        Path lockDir = null;
        try (XenstoredServer xenstored = XenstoredServer.start()) {
            lockDir = Files.createTempDirectory("netbuf-training-locks");
            xenstored.store().write("/local/domain/7/name", "training");
            runner.check("iproute2", "create the training vif", List.of("ip", "-n", ns, "link", "add", TRAINING_VIF,
                    "type", "veth", "peer", "name", "nbtrain0"));
            runner.check("iproute2", "bring the training vif up", List.of("ip", "-n", ns, "link", "set",
                    TRAINING_VIF, "up"));
            runner.check("iproute2", "create the training IFB", List.of("ip", "-n", ns, "link", "add", "ifb0",
                    "type", "ifb"));
            Map<String, String> env = Map.of("XENSTORED_PATH", xenstored.socketPath().toString(),
                    RemusNetbufSetupCommand.VIFNAME, TRAINING_VIF, RemusNetbufSetupCommand.XENBUS_PATH, XENBUS_PATH);
            Context context = new Context(discard, discard, env, hostIn.hosts(ns, env, lockDir));
            Cli cli = Cli.standard();
            cli.run(RemusNetbufSetupCommand.NAME, List.of("setup"), context);
            String ifb = xenstored.store().read(XENBUS_PATH + "/ifb").orElse("");
            cli.run(RemusNetbufSetupCommand.NAME, List.of("teardown", RemusNetbufSetupCommand.REMUS_IFB + "=" + ifb),
                    context);
        } catch (NetworkBufferException | IOException e) {
            LoggerFactory.getLogger(CdsTraining.class).debug("training hotplug round stopped: {}", e.getMessage());
        } finally {
            runner.run("iproute2", "delete the training namespace", List.of("ip", "netns", "del", ns));
            deleteTree(lockDir);
        }
    }

    /** Removes a scratch directory and the files in it; a failure is logged, not thrown. */
    private static void deleteTree(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Files.delete(file);
            }
            Files.delete(dir);
        } catch (IOException e) {
            LoggerFactory.getLogger(CdsTraining.class).debug("could not remove {}: {}", dir, e.toString());
        }
    }
}
