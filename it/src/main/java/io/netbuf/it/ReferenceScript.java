package io.netbuf.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;

/**
 * Xen's own {@code remus-netbuf-setup} as the kernel-lab tests run it: from {@code ../shared/reference}
 * beside the repository (or {@code $NETBUF_REFERENCE_DIR}), never copied into the project, next to
 * Debian's hotplug helpers ({@code xen-utils-common}) it sources, with {@code xenstore-*} pointed at a
 * testkit xenstored and {@code nl-qdisc-*} from {@code libnl-utils}. It runs the way libxl runs it:
 * environment only, stdin closed, killed after a timeout. Thread-safe: concurrent runs share nothing
 * but what the script itself shares (the lock directory, xenstored, the namespace).
 */
final class ReferenceScript {
    private static final String NAME = "remus-netbuf-setup.sh";
    private static final Path XEN_SCRIPTS = Path.of("/etc/xen/scripts");
    /** Where Xen's hotplug helpers send the scripts' stderr. */
    private static final Path HOTPLUG_LOG = Path.of("/var/log/xen/xen-hotplug.log");
    /** libxl kills the script after 40 s; software emulation gets some more. */
    private static final long TIMEOUT_SECONDS = 60;

    private final Path link;

    private ReferenceScript(Path link) {
        this.link = link;
    }

    /** What one run of the script did. */
    record Run(int exitCode, String output) {
        /** @return whether it exited 0 */
        boolean succeeded() {
            return exitCode == 0;
        }
    }

    /**
     * @return the reference script, or empty when it is absent (then a loud message says which part
     *     of a test does not run); with {@code netbuf.privileged=required} (CI, the lab) its absence
     *     fails the test instead
     */
    static Optional<Path> locate() {
        Path script = referenceDir().resolve(NAME);
        if (Files.isReadable(script)) {
            return Optional.of(script);
        }
        String missing = "the reference script is not at " + script
                + " (../shared/reference beside the repository, or NETBUF_REFERENCE_DIR)";
        if (Requirements.required()) {
            Assertions.fail(missing + " (netbuf.privileged=required: the comparison with Xen's script must run)");
        }
        System.err.println("SKIPPED (loudly): " + missing);
        return Optional.empty();
    }

    /**
     * Requires what the script needs on the lab's host (tools, Xen's helpers, the modules it checks
     * with {@code modinfo}), makes Debian's {@code nl-qdisc-add} find its plug module (see
     * {@link LibnlPlugModule}) and links the script beside Xen's helpers in a fresh directory.
     *
     * @param script the script found by {@link #locate}
     * @return the script, ready to run
     */
    static ReferenceScript install(Path script) {
        return install(script, null);
    }

    /**
     * As {@link #install(Path)}, and with the lock timed: Xen's own {@code locking.sh} is sourced
     * unchanged and its {@code claim_lock} and {@code release_lock} wrapped, so that each call
     * appends to {@code lockWaits} {@code W START END} (claim: epoch microseconds before and after
     * the wait) or {@code H START END} (release: when the lock was taken and when it was released).
     *
     * @param script the script found by {@link #locate}
     * @param lockWaits where the waits and holds are appended, or null not to time them
     * @return the script, ready to run
     */
    static ReferenceScript install(Path script, Path lockWaits) {
        for (String tool : List.of("nl-qdisc-add", "nl-qdisc-list", "nl-qdisc-delete", "ifconfig", "modinfo",
                "xenstore-write", "arping")) {
            Requirements.require(Requirements.onPath(tool), "the tool " + tool + " (scripts/install-test-deps.sh installs it)");
        }
        Requirements.require(Files.isReadable(XEN_SCRIPTS.resolve("xen-hotplug-common.sh")),
                "Xen's hotplug helpers in " + XEN_SCRIPTS + " (package xen-utils-common)");
        String kernel = Netns.sh("uname", "-r").strip();
        Requirements.require(Files.isDirectory(Path.of("/lib/modules", kernel)),
                "/lib/modules/" + kernel + " (lab.sh links the lab kernel's modules there; the script runs modinfo)");
        LibnlPlugModule.link(true);
        try {
            // A Xen host has it (package xen-utils-common); the lab's /var/log is a fresh tmpfs.
            Files.createDirectories(HOTPLUG_LOG.getParent());
            Path dir = Files.createTempDirectory("xen-scripts");
            try (DirectoryStream<Path> helpers = Files.newDirectoryStream(XEN_SCRIPTS)) {
                for (Path helper : helpers) {
                    Files.createSymbolicLink(dir.resolve(helper.getFileName()), helper);
                }
            }
            if (lockWaits != null) {
                Path locking = dir.resolve("locking.sh");
                Files.delete(locking);
                Files.writeString(locking, String.join("\n",
                        "# Xen's locking.sh, unchanged, with claim_lock and release_lock timed for the test",
                        ". '" + XEN_SCRIPTS.resolve("locking.sh") + "'",
                        "eval \"xen_$(declare -f claim_lock)\"",
                        "eval \"xen_$(declare -f release_lock)\"",
                        "claim_lock()",
                        "{",
                        "    local start=$EPOCHREALTIME",
                        "    xen_claim_lock \"$@\" || return",
                        "    _netbuf_test_taken=$EPOCHREALTIME",
                        "    echo \"W ${start/[.,]/} ${_netbuf_test_taken/[.,]/}\" >> '" + lockWaits + "'",
                        "}",
                        "release_lock()",
                        "{",
                        "    xen_release_lock \"$@\" || return",
                        "    echo \"H ${_netbuf_test_taken/[.,]/} ${EPOCHREALTIME/[.,]/}\" >> '" + lockWaits + "'",
                        "}",
                        ""), StandardCharsets.UTF_8);
            }
            Path link = dir.resolve("remus-netbuf-setup");
            Files.createSymbolicLink(link, script);
            return new ReferenceScript(link);
        } catch (IOException e) {
            throw new UncheckedIOException("could not lay out Xen's scripts", e);
        }
    }

    /**
     * Runs the script in a namespace the way libxl does: {@code vifname}, {@code XENBUS_PATH} and
     * (teardown) {@code REMUS_IFB} in the environment, stdin closed; {@code xenstore-*} talk to the
     * xenstored at {@code xenstoredSocket}. Its output (stdout and stderr) is kept; what Xen's helpers
     * log goes to {@code /var/log/xen/xen-hotplug.log} as on a Xen host.
     *
     * @param netns the namespace standing for dom0
     * @param xenstoredSocket the xenstored's socket
     * @param vif the vif ({@code vifname})
     * @param xenbus the xenbus path ({@code XENBUS_PATH})
     * @param command {@code setup} or {@code teardown}
     * @param remusIfb the IFB for a teardown ({@code REMUS_IFB}), or null
     * @return its exit status and output
     */
    Run run(String netns, Path xenstoredSocket, String vif, String xenbus, String command, String remusIfb) {
        Path out = null;
        try {
            out = Files.createTempFile("remus-netbuf-setup", ".out");
            ProcessBuilder pb = new ProcessBuilder("ip", "netns", "exec", netns, "bash", link.toString(), command)
                    .redirectErrorStream(true).redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().put("vifname", vif);
            pb.environment().put("XENBUS_PATH", xenbus);
            pb.environment().put("XENSTORED_PATH", xenstoredSocket.toString());
            if (remusIfb != null) {
                pb.environment().put("REMUS_IFB", remusIfb);
            }
            long logged = hotplugLogSize();
            Process p = pb.start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                StringBuilder tree = new StringBuilder();
                p.descendants().forEach(d -> {
                    tree.append("\n  ").append(d.pid()).append(' ')
                            .append(d.info().commandLine().orElse("?"));
                    d.destroyForcibly();
                });
                p.destroyForcibly();
                throw new IllegalStateException("the reference script's " + command + " for " + vif + " did not end in "
                        + TIMEOUT_SECONDS + " s; its processes:" + tree + "\noutput: "
                        + Files.readString(out, StandardCharsets.UTF_8) + "\nhotplug log since it started:\n"
                        + hotplugLogSince(logged) + "\nfile locks now:\n" + lockTable());
            }
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("could not run the reference script", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            if (out != null) {
                out.toFile().delete();
            }
        }
    }

    /**
     * @return {@code /proc/locks}, each line followed by its process's command line and where its
     *     lock file is (what a hung {@code claim_lock} waits for)
     */
    static String lockTable() {
        StringBuilder table = new StringBuilder();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
                table.append("  ").append(line);
                String[] f = line.trim().split("\\s+");
                for (int i = 1; i < f.length; i++) {
                    if (f[i].matches("\\d+") && i + 1 < f.length && f[i + 1].contains(":")) {
                        long pid = Long.parseLong(f[i]);
                        table.append("  <- ").append(ProcessHandle.of(pid).flatMap(h -> h.info().commandLine())
                                .orElse("(gone)"));
                        break;
                    }
                }
                table.append('\n');
            }
            table.append("  lock files: ");
            Path dir = Path.of("/var/run/xen-hotplug");
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
                    for (Path file : files) {
                        table.append(file.getFileName()).append(" inode ").append(Files.getAttribute(file, "unix:ino"))
                                .append("; ");
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            table.append("(could not read: ").append(e).append(')');
        }
        return table.toString();
    }

    /** @return the size of the hotplug log now, to print what a run adds with {@link #hotplugLogSince} */
    static long hotplugLogSize() {
        try {
            return Files.exists(HOTPLUG_LOG) ? Files.size(HOTPLUG_LOG) : 0;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param offset an earlier {@link #hotplugLogSize}
     * @return what Xen's helpers logged since then
     */
    static String hotplugLogSince(long offset) {
        try {
            byte[] log = Files.exists(HOTPLUG_LOG) ? Files.readAllBytes(HOTPLUG_LOG) : new byte[0];
            int from = (int) Math.min(offset, log.length);
            return new String(log, from, log.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path referenceDir() {
        String env = System.getenv("NETBUF_REFERENCE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return RepoLayout.root().resolveSibling("shared").resolve("reference");
    }
}
