package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.cli.log.SyslogListener;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian package as a dom0 administrator gets it: built by {@code packaging/debian/build.sh} from this
 * build's output, checked by lintian, installed with {@code dpkg -i} into a throwaway root (an overlay of
 * this machine's root, {@code packaging/debian/throwaway-root.sh}: private mount and network namespaces,
 * nothing reaches the host), then {@code /etc/xen/scripts/remus-netbuf-setup} run the way libxl runs it
 * (only its variables in the environment, stdio closed) against the testkit xenstored, with a real syslog
 * socket as the root's {@code /dev/log}. Checked: the class archives built by postinst in a root-owned
 * {@code /var/cache/netbuf}, the default log file {@code /var/log/xen/xen-hotplug.log}, the syslog line,
 * the outcome libxl reads, a jar owned by another user refused, and purge removing the archives.
 */
class DebianPackageIT {
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    @TempDir
    Path dir;

    private record Result(int status, String output) {
    }

    private static Result run(List<String> argv) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "finished: " + argv);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    @Test
    void installedPackageRunsAsLibxlRunsItAndLogsWhereXenAdminsLook() throws Exception {
        Requirements.root();
        Requirements.netns();
        for (String tool : List.of("dpkg-deb", "lintian", "unshare", "strip", "systemd-analyze")) {
            Requirements.require(Requirements.onPath(tool), tool + " (scripts/install-test-deps.sh)");
        }
        Path cli = Path.of(System.getProperty("netbuf.launcher", "bin/remus-netbuf-setup")).toAbsolutePath()
                .getParent().getParent();
        Path packaging = cli.getParent().resolve("packaging/debian");
        Path debDir = dir.resolve("deb");
        Files.createDirectories(debDir);

        Result built = run(List.of(packaging.resolve("build.sh").toString(), "-o", debDir.toString()));
        assertEquals(0, built.status, built.output);
        Path deb = Path.of(built.output.strip().lines().reduce((a, b) -> b).orElseThrow());
        assertTrue(Files.isRegularFile(deb), built.output);

        Result lintian = run(List.of("lintian", "--pedantic", "-E", "--profile", "debian", "--fail-on",
                "error,warning,info,pedantic", deb.toString()));
        String findings = lintian.output.lines().filter(l -> !l.contains("running with root privileges"))
                .reduce("", (a, b) -> a + b + "\n");
        assertEquals(0, lintian.status, findings);
        assertEquals("", findings, "lintian clean (overrides in packaging/debian/lintian-overrides)");

        FakeXenstore store = new FakeXenstore();
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/local/domain/5/name", "guest");
        store.write(XENBUS, "");
        Path io = dir.resolve("io");
        Files.createDirectories(io);
        Path upper = dir.resolve("root");
        try (XenstoredServer xenstored = XenstoredServer.start(store);
                SyslogListener syslog = new SyslogListener(io.resolve("log"))) {
            Path socketDir = xenstored.socketPath().getParent();
            List<String> inRoot = List.of(packaging.resolve("throwaway-root.sh").toString(), "--bind", debDir.toString(),
                    "--bind", socketDir.toString(), "--dev-log", io.resolve("log").toString(), upper.toString());

            // Xen's log directory as xen-utils-common makes it, with an empty log: this run's lines only
            Result installed = run(concat(inRoot, "sh", "-c", "dpkg -i \"$1\" && mkdir -p /var/log/xen"
                    + " && : > /var/log/xen/xen-hotplug.log", "sh", deb.toString()));
            assertEquals(0, installed.status, installed.output);
            Path cache = upper.resolve("upper/var/cache/netbuf");
            assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(cache)));
            assertEquals(0, Files.getAttribute(cache, "unix:uid"));
            try (var archives = Files.list(cache)) {
                List<String> names = archives.map(p -> p.getFileName().toString()).sorted().toList();
                assertTrue(names.stream().anyMatch(n -> n.matches("netbuf-17[0-9.]*\\.jsa")),
                        "the system JDK 17's archive: " + names);
            }

            // the system's JVM (17) and, where one is installed, a JDK 25+ with its AOT cache
            Result version17 = run(concat(inRoot, "env", "NETBUF_JAVA=/usr/bin/java", "/usr/sbin/netbuf", "--version"));
            assertEquals(0, version17.status, version17.output);
            assertTrue(version17.output.contains("\njava 17."), version17.output);
            Result version = run(concat(inRoot, "/usr/sbin/netbuf", "--version"));
            assertTrue(version.output.startsWith("netbuf (netbuf) "), version.output);

            // bash completion, as an interactive shell loads it
            Result completion = run(concat(inRoot, "bash", "-c", ". /usr/share/bash-completion/completions/netbuf"
                    + " && COMP_WORDS=(netbuf reap --c) COMP_CWORD=2 && _netbuf && echo \"${COMPREPLY[*]}\""));
            assertEquals("--check\n", completion.output);

            boolean plug = KernelState.kernelHasPlug();
            String libxl = "ip link add vif5.0 type veth peer name guest0 && ip link set vif5.0 up"
                    + " && ip link set guest0 up && exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin vifname=vif5.0"
                    + " XENBUS_PATH=" + XENBUS + " XENSTORED_PATH=" + xenstored.socketPath()
                    + " /etc/xen/scripts/remus-netbuf-setup \"$@\" <&- >&- 2>&-";
            Result setup = run(concat(inRoot, "sh", "-c", libxl, "sh", "setup"));
            Path hotplugLog = upper.resolve("upper/var/log/xen/xen-hotplug.log");
            String log = Files.readString(hotplugLog);
            assertEquals("", setup.output, "nothing on closed stdio");
            if (plug) {
                assertEquals(0, setup.status, log);
                assertEquals(Optional.of("connected"), store.read(XENBUS + "/hotplug-status"));
                assertTrue(log.contains("info: Successful remus-netbuf-setup setup for vif5.0"), log);
            } else {
                assertEquals(1, setup.status, log);
                assertEquals(Optional.of("error"), store.read(XENBUS + "/hotplug-status"));
                assertEquals(1, log.lines().filter(l -> l.contains("the kernel lacks the plug qdisc")).count(),
                        "the cause, once: " + log);
                assertTrue(log.matches("(?s).*\\d\\dZ remus-netbuf-setup\\[\\d+\\]: error: the kernel lacks the plug "
                        + "qdisc.*"), log);
                List<String> datagrams = syslog.received();
                assertTrue(datagrams.stream().anyMatch(d -> d.startsWith("<27>remus-netbuf-setup[")
                        && d.contains("]: error: the kernel lacks the plug qdisc")), datagrams.toString());
            }
            Result teardown = run(concat(inRoot, "sh", "-c", libxl, "sh", "teardown", "ignored=argument"));
            assertEquals(0, teardown.status, Files.readString(hotplugLog));
            assertTrue(Files.readString(hotplugLog).contains("info: Successful remus-netbuf-setup teardown for vif5.0"));
            assertFalse(store.exists(XENBUS + "/hotplug-status"));
            syslog.received();

            // the reap timer's units are valid, and its dry run fails the unit only when something was left
            Result units = run(concat(inRoot, "systemd-analyze", "verify", "/lib/systemd/system/netbuf-reap.service",
                    "/lib/systemd/system/netbuf-reap.timer"));
            assertEquals(0, units.status, units.output);
            assertEquals("", units.output);
            String reap = "exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin XENSTORED_PATH=" + xenstored.socketPath()
                    + " /usr/sbin/netbuf reap --check";
            assertEquals(0, run(concat(inRoot, "sh", "-c", reap)).status, "nothing left behind");
            store.write("/libxl/9/remus/netbuf/1/ifb", "ifb1");     // domain 9 is gone
            Result found = run(concat(inRoot, "sh", "-c", reap));
            assertEquals(1, found.status, found.output);
            assertTrue(found.output.contains("/libxl/9/remus/netbuf/1/ifb = ifb1"), found.output);
            assertTrue(store.exists("/libxl/9/remus/netbuf/1/ifb"), "a dry run removes nothing");
            store.rm("/libxl/9");

            // a jar another user owns is refused before it runs: nothing reaches XenStore
            assertEquals(0, run(concat(inRoot, "chown", "65534", "/usr/share/netbuf/netbuf.jar")).status);
            Result refused = run(concat(inRoot, "sh", "-c", libxl, "sh", "setup"));
            assertEquals(1, refused.status);
            assertFalse(store.exists(XENBUS + "/hotplug-status"), "netbuf.jar did not run");
            log = Files.readString(hotplugLog);
            assertTrue(log.contains("error: refusing to run as root: /usr/share/netbuf/netbuf.jar is owned by uid 65534,"
                    + " not root"), log);
            List<String> datagrams = syslog.received();
            assertTrue(datagrams.stream().anyMatch(d -> d.startsWith("<27>") && d.contains("remus-netbuf-setup[")
                    && d.contains("refusing to run as root")), datagrams.toString());

            Result purged = run(concat(inRoot, "sh", "-c", "dpkg --purge netbuf && test ! -e /var/cache/netbuf"
                    + " && test ! -e /etc/xen/scripts/remus-netbuf-setup"));
            assertEquals(0, purged.status, purged.output);
        }
    }

    private static List<String> concat(List<String> prefix, String... rest) {
        List<String> all = new ArrayList<>(prefix);
        all.addAll(List.of(rest));
        return all;
    }
}
