package io.netbuf.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Preconditions of tests that need root, network namespaces or a kernel feature. On a
 * developer's machine an unmet one skips the test loudly; when the build runs with
 * {@code -Dnetbuf.privileged=required} (the {@code ci} profile, active when {@code CI=true}) it
 * fails the test instead, because a skip there would hide a broken CI machine.
 */
public final class Requirements {
    private Requirements() {
    }

    /** @return true when unmet requirements must fail rather than skip */
    public static boolean required() {
        return "required".equals(System.getProperty("netbuf.privileged", "auto"));
    }

    /**
     * Requires a condition.
     *
     * @param met whether it holds
     * @param what what is missing, for the message
     */
    public static void require(boolean met, String what) {
        if (met) {
            return;
        }
        String message = "requirement not met: " + what;
        if (required()) {
            Assertions.fail(message + " (netbuf.privileged=required: CI must run this test)");
        }
        System.err.println("SKIPPED (loudly): " + message);
        Assumptions.abort(message);
    }

    /**
     * Whether a tool can be run: on {@code PATH}, or in {@code /usr/sbin} or {@code /sbin} (which a
     * non-root {@code PATH} may lack).
     *
     * @param tool the command's name
     * @return whether an executable of that name exists there
     */
    public static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    /** Requires uid 0. */
    public static void root() {
        require("root".equals(System.getProperty("user.name")) || uidIsZero(), "root (uid 0)");
    }

    /** Requires root and a working {@code ip netns}. */
    public static void netns() {
        root();
        require(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip")),
                "the ip tool (iproute2)");
        require(canCreateNamespace(), "network namespaces (ip netns add)");
    }

    private static boolean uidIsZero() {
        try {
            return Files.readString(Path.of("/proc/self/status")).lines()
                    .filter(l -> l.startsWith("Uid:"))
                    .anyMatch(l -> l.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean canCreateNamespace() {
        String name = "nbprobe" + ProcessHandle.current().pid();
        try {
            if (run("ip", "netns", "add", name) != 0) {
                return false;
            }
            run("ip", "netns", "del", name);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int run(String... argv) throws IOException {
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        try {
            p.getInputStream().readAllBytes();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return -1;
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            return -1;
        }
    }
}
