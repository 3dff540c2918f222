package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.cli.log.SyslogListener;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher driven the way libxl drives Xen's script: installed under the name
 * {@code remus-netbuf-setup}, variables in the environment, standard input, output and error closed,
 * then the outcome read from XenStore (the testkit xenstored, through {@code XENSTORED_PATH}) and
 * the exit status. The "host" is a throwaway network namespace with a veth as the vif. Where the
 * kernel has sch_plug (the kernel lab) setup succeeds and teardown restores the namespace; here,
 * without it, setup must fail with exit 1, leave hotplug-error and hotplug-status=error, and change
 * nothing else. Either way the call's lines land in the hotplug log and a failure in syslog (a real
 * datagram socket standing in for {@code /dev/log}).
 */
class RemusNetbufSetupIT {
    private static final String PATH = "/libxl/5/remus/netbuf/0";
    private Netns ns;
    private XenstoredServer xenstored;
    private FakeXenstore store;
    private SyslogListener syslog;

    @TempDir
    Path logs;

    @BeforeEach
    void setUp() {
        ns = Netns.create("nbcli");
        ns.ip("link", "add", "vif5.0", "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", "vif5.0", "up");
        ns.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, "vif5.0");
        store = new FakeXenstore();
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/local/domain/5/name", "guest");
        store.write(PATH, "");
        xenstored = XenstoredServer.start(store);
    }

    private String hotplugLog() throws IOException {
        Path log = logs.resolve("xen-hotplug.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @AfterEach
    void tearDown() throws IOException {
        if (syslog != null) {
            syslog.close();
        }
        if (xenstored != null) {
            xenstored.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void setupAndTeardownAsLibxlRunsThem() throws Exception {
        boolean plug = KernelState.kernelHasPlug();
        String before = KernelState.dump(ns);
        Map<String, String> env = Map.of("vifname", "vif5.0", "XENBUS_PATH", PATH);

        syslog = new SyslogListener(logs.resolve("log"));
        int setup = runLikeLibxl("setup", env);
        if (!plug) {
            assertEquals(1, setup, "setup fails without sch_plug");
            // logged as Xen's scripts log: the hotplug log file, and the failure in syslog (daemon.err), the cause once
            String log = hotplugLog();
            assertEquals(1, log.lines().filter(l -> l.contains("the kernel lacks the plug qdisc")).count(), log);
            assertTrue(log.contains(" remus-netbuf-setup[") && log.contains("]: error: the kernel lacks the plug qdisc"),
                    log);
            List<String> datagrams = syslog.received();
            assertTrue(datagrams.stream().anyMatch(d -> d.startsWith("<27>remus-netbuf-setup[")
                    && d.contains("]: error: the kernel lacks the plug qdisc")), datagrams.toString());
            assertEquals(Optional.of("error"), store.read(PATH + "/hotplug-status"));
            String error = store.read(PATH + "/hotplug-error").orElseThrow();
            assertTrue(error.contains("plug"), error);
            assertFalse(store.exists(PATH + "/ifb"), "no IFB claim left");
            assertEquals(before, KernelState.dump(ns), "nothing changed in the namespace");
        } else {
            assertEquals(0, setup, "setup succeeds on a kernel with sch_plug");
            assertTrue(hotplugLog().contains("info: Successful remus-netbuf-setup setup for vif5.0"), hotplugLog());
            String ifb = store.read(PATH + "/ifb").orElseThrow();
            assertEquals(Optional.of("connected"), store.read(PATH + "/hotplug-status"));
            assertFalse(store.exists(PATH + "/hotplug-error"));
            assertTrue(ns.tc("qdisc", "show", "dev", ifb).contains("plug"), "the plug outlives the command");
            assertTrue(ns.tc("filter", "show", "dev", "vif5.0", "ingress").contains(ifb), "vif redirects to " + ifb);
            Map<String, String> teardownEnv = Map.of("vifname", "vif5.0", "XENBUS_PATH", PATH, "REMUS_IFB", ifb);
            assertEquals(0, runLikeLibxl("teardown", teardownEnv));
            assertFalse(store.exists(PATH + "/ifb"));
            assertFalse(store.exists(PATH + "/hotplug-status"));
            assertFalse(ns.tc("qdisc", "show", "dev", ifb).contains("plug"));
            assertFalse(ns.tc("qdisc", "show", "dev", "vif5.0").contains("ingress"));
        }
        // teardown may always run, any number of times
        assertEquals(0, runLikeLibxl("teardown", env));
        assertEquals(0, runLikeLibxl("teardown", env));
        assertFalse(store.exists(PATH + "/hotplug-status"));
        assertFalse(store.exists(PATH + "/hotplug-error"));
        assertFalse(store.exists(PATH + "/ifb"));
        if (!plug) {
            assertEquals(before, KernelState.dump(ns));
        }
    }

    @Test
    void wrongUsageExitsTwoAndWritesNothing() throws Exception {
        Map<String, String> snapshot = store.snapshot();
        assertEquals(2, runLikeLibxl("setup", Map.of("XENBUS_PATH", PATH)), "vifname missing");
        assertEquals(2, runLikeLibxl("attach", Map.of("vifname", "vif5.0", "XENBUS_PATH", PATH)));
        assertFalse(store.exists(PATH + "/hotplug-status"));
        assertEquals(snapshot, store.snapshot());
    }

    /**
     * Runs {@code ip netns exec NS remus-netbuf-setup OP} with exactly {@code env} plus PATH and
     * XENSTORED_PATH, and stdin, stdout and stderr closed.
     */
    private int runLikeLibxl(String operation, Map<String, String> env) throws IOException, InterruptedException {
        // run by root, the launcher runs only a tree root alone can change: a copy in a directory of the test's
        Path launcher = logs.resolve("tree/bin/remus-netbuf-setup");
        if (!Files.exists(launcher)) {
            LauncherTree.copy(logs.resolve("tree"));
        }
        List<String> argv = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" <&- >&- 2>&-", "sh",
                "ip", "netns", "exec", ns.name(), launcher.toString(), operation));
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().clear();
        pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        pb.environment().putAll(xenstored.environment());
        pb.environment().put("NETBUF_HOTPLUG_LOG", logs.resolve("xen-hotplug.log").toString());
        pb.environment().put("NETBUF_SYSLOG_SOCKET", logs.resolve("log").toString());
        pb.environment().putAll(env);
        String javaHome = System.getProperty("java.home");
        pb.environment().put("JAVA_HOME", javaHome);
        Process p = pb.redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(40, TimeUnit.SECONDS), "finished inside libxl's 40 s");
        assertEquals(0, out.length, "nothing written to closed stdio: " + new String(out));
        return p.exitValue();
    }
}
