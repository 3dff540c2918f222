package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line run by an unprivileged user (uid 65534, dropped with {@code setpriv} from the
 * root that runs this test) on the real host: every refusal says that netbuf needs root, never that
 * a kernel module is missing, and the process does not die on the EACCES of the host lock.
 */
class NonRootIT {
    @TempDir
    Path dir;

    private record Run(int status, String err) {
    }

    private Run asNobody(String invokedAs, String... args) throws IOException, InterruptedException {
        Requirements.root();
        Requirements.require(Requirements.onPath("setpriv"), "setpriv (util-linux)");
        Path launcher = Path.of(System.getProperty("netbuf.launcher", "bin/remus-netbuf-setup")).toAbsolutePath();
        Path jar = launcher.getParent().getParent().resolve("target/netbuf.jar");
        assertTrue(Files.isReadable(jar), jar + " (build the jar first: mvn package)");
        List<String> argv = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dnetbuf.invokedAs=" + invokedAs,
                "-jar", jar.toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv).directory(Path.of("/").toFile());
        pb.environment().put("XENSTORED_PATH", dir.resolve("no-xenstored").toString());
        pb.environment().remove("NETBUF_LOG");
        pb.environment().put("NETBUF_HOTPLUG_LOG", dir.resolve("xen-hotplug.log").toString());
        pb.environment().put("NETBUF_SYSLOG_SOCKET", dir.resolve("no-syslog").toString());
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished");
        return new Run(p.exitValue(), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void hotplugSetupSaysItNeedsRoot() throws Exception {
        Run r = asNobody("remus-netbuf-setup", "setup", "vifname=vif99.0", "XENBUS_PATH=/libxl/99/remus/netbuf/0");
        assertEquals(1, r.status(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElse("");
        assertTrue(last.contains("needs root") && last.contains("[InsufficientPrivilegeException]"), r.err());
        assertFalse(r.err().contains("modprobe"), r.err());
    }

    @Test
    void reapSaysItNeedsRoot() throws Exception {
        Run r = asNobody("netbuf", "reap");
        assertEquals(1, r.status(), r.err());
        assertTrue(r.err().contains("reap needs root") && r.err().contains("[InsufficientPrivilegeException]"),
                r.err());
    }
}
