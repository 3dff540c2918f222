package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher run by root, as libxl runs the hotplug script (stdio closed), on a copy of the build's
 * tree (bin/netbuf, bin/remus-netbuf-setup, target/netbuf.jar, target/jna): a tree that another user
 * owns or can change is refused before anything in it runs; a native library planted where an attacker
 * can write (the tree, the working directory, the cache JNA would unpack to, LD_PRELOAD, options in the
 * environment) is never loaded. The planted library is real: its constructor writes a marker file, and
 * the test first proves that it does when loaded from a trusted place.
 */
class LauncherTrustIT {
    private static final String PLANTED = "#include <stdio.h>\n"
            + "__attribute__((constructor)) static void planted(void) {\n"
            + "    FILE *f = fopen(\"MARKER\", \"w\"); if (f) { fputs(\"loaded\\n\", f); fclose(f); }\n"
            + "}\n";

    @TempDir
    Path dir;

    private Path tree;
    private Path marker;
    private Path planted;

    @BeforeEach
    void setUp() throws Exception {
        Requirements.root();
        Requirements.netns();
        Requirements.require(Requirements.onPath("cc"), "a C compiler (gcc) to build the planted library");
        tree = dir.resolve("tree");
        LauncherTree.copy(tree);
        marker = dir.resolve("marker");
        Path source = dir.resolve("planted.c");
        Files.writeString(source, PLANTED.replace("MARKER", marker.toString()));
        planted = dir.resolve("plant/libjnidispatch.so");
        Files.createDirectories(planted.getParent());
        assertEquals(0, run(List.of("cc", "-shared", "-fPIC", "-o", planted.toString(), source.toString())).status);
    }

    private Path nativeLibrary() throws IOException {
        try (var files = Files.walk(tree.resolve("target/jna"))) {
            return files.filter(p -> p.getFileName().toString().equals("libjnidispatch.so")
                    && p.toString().contains(System.getProperty("os.arch").equals("aarch64") ? "aarch64" : "x86-64"))
                    .findFirst().orElseThrow();
        }
    }

    private record Result(int status, String output) {
    }

    private static Result run(List<String> argv) throws IOException, InterruptedException {
        return run(argv, Map.of(), null);
    }

    private static Result run(List<String> argv, Map<String, String> env, Path cwd)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true);
        pb.environment().putAll(env);
        if (cwd != null) {
            pb.directory(cwd.toFile());
        }
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "finished: " + argv);
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /**
     * {@code remus-netbuf-setup teardown} of an absent vif from the tree, stdio closed, as libxl runs it,
     * in a throwaway network namespace. (LD_PRELOAD is not tried: the dynamic loader applies it to the
     * shell before any script runs, so whoever sets root's environment owns root already.)
     */
    private Result hotplugLikeLibxl(Map<String, String> extra, Path cwd) throws Exception {
        try (XenstoredServer xenstored = XenstoredServer.start(); Netns ns = Netns.create("nbtrust")) {
            List<String> argv = new ArrayList<>(List.of("sh", "-c", "exec \"$@\" <&- >&- 2>&-", "sh",
                    "ip", "netns", "exec", ns.name(), tree.resolve("bin/remus-netbuf-setup").toString(), "teardown"));
            java.util.HashMap<String, String> env = new java.util.HashMap<>(xenstored.environment());
            env.put("vifname", "vif77.0");
            env.put("XENBUS_PATH", "/libxl/77/remus/netbuf/0");
            env.put("NETBUF_HOTPLUG_LOG", dir.resolve("xen-hotplug.log").toString());
            env.put("NETBUF_SYSLOG_SOCKET", dir.resolve("no-syslog").toString());
            env.putAll(extra);
            return run(argv, env, cwd);
        }
    }

    private String hotplugLog() throws IOException {
        Path log = dir.resolve("xen-hotplug.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void aLibraryPlantedInATrustedPlaceIsLoadedSoTheMarkerWorks() throws Exception {
        Files.copy(planted, nativeLibrary(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        hotplugLikeLibxl(Map.of(), null);
        assertTrue(Files.exists(marker), "the launcher loads the tree's native library: " + hotplugLog());
    }

    @Test
    void aTreeOwnedByAnotherUserIsRefusedBeforeAnythingRuns() throws Exception {
        Files.copy(planted, nativeLibrary(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, run(List.of("chown", "-R", "65534:65534", tree.toString())).status);
        Result r = hotplugLikeLibxl(Map.of(), null);
        assertEquals(1, r.status);
        assertFalse(Files.exists(marker), "the planted library did not run");
        String log = hotplugLog();
        assertTrue(log.contains("remus-netbuf-setup[") && log.contains("error: refusing to run as root: ")
                && log.contains("is owned by uid 65534, not root"), log);
    }

    @Test
    void aNativeLibraryOthersCanReplaceIsRefused() throws Exception {
        Path library = nativeLibrary();
        Files.copy(planted, library, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertEquals(0, run(List.of("chown", "-R", "65534", tree.resolve("target/jna").toString())).status);
        assertEquals(1, hotplugLikeLibxl(Map.of(), null).status);
        assertFalse(Files.exists(marker));
        assertEquals(0, run(List.of("chown", "-R", "0", tree.resolve("target/jna").toString())).status);
        assertEquals(0, run(List.of("chmod", "g+w", library.getParent().toString())).status);
        assertEquals(1, hotplugLikeLibxl(Map.of(), null).status);
        assertFalse(Files.exists(marker));
        assertTrue(hotplugLog().contains("is writable by group or others (mode 775)"), hotplugLog());
    }

    @Test
    void environmentOverridesAndPlantsAroundATrustedTreeAreIgnored() throws Exception {
        Path plantDir = planted.getParent();
        Files.createDirectories(plantDir.resolve("JNA/temp"));
        Files.copy(planted, plantDir.resolve("JNA/temp/libjnidispatch.so"));
        String point = "-Djna.boot.library.path=" + plantDir + " -Djna.nounpack=false";
        Result r = hotplugLikeLibxl(Map.of("NETBUF_JAVA_OPTS", point, "JAVA_TOOL_OPTIONS", point,
                "JDK_JAVA_OPTIONS", point, "_JAVA_OPTIONS", point, "LD_LIBRARY_PATH", plantDir.toString(),
                "XDG_CACHE_HOME", plantDir.toString()), plantDir);
        assertEquals(0, r.status, hotplugLog());
        assertFalse(Files.exists(marker), "no planted library was loaded: " + hotplugLog());
        String log = hotplugLog();
        assertTrue(log.contains("warning: running as root: ignoring NETBUF_JAVA_OPTS JDK_JAVA_OPTIONS JAVA_TOOL_OPTIONS "
                + "_JAVA_OPTIONS LD_LIBRARY_PATH"), log);
        assertTrue(log.contains("info: Successful remus-netbuf-setup teardown for vif77.0"), log);
    }

    @Test
    void aJvmOrJarNamedByTheEnvironmentIsHonouredOnlyWhenRootAloneCanChangeIt() throws Exception {
        Path fakeJava = dir.resolve("jdk/bin/java");
        Files.createDirectories(fakeJava.getParent());
        Files.writeString(fakeJava, "#!/bin/sh\necho ran > " + marker + "\n");
        assertEquals(0, run(List.of("chmod", "0755", fakeJava.toString())).status);
        assertEquals(0, run(List.of("chown", "-R", "65534", dir.resolve("jdk").toString())).status);
        assertEquals(1, hotplugLikeLibxl(Map.of("NETBUF_JAVA", fakeJava.toString()), null).status);
        assertEquals(1, hotplugLikeLibxl(Map.of("JAVA_HOME", dir.resolve("jdk").toString()), null).status);
        assertFalse(Files.exists(marker));
        assertTrue(hotplugLog().contains("jdk/bin/java is owned by uid 65534, not root"), hotplugLog());
        // the system's own JVM, named explicitly, is root's: honoured
        String javaHome = Path.of(System.getProperty("java.home")).toRealPath().toString();
        assertEquals(0, hotplugLikeLibxl(Map.of("JAVA_HOME", javaHome), null).status, hotplugLog());
    }

    @Test
    void aStaleOrUntrustedClassArchiveIsIgnoredWithOneWarningAndNothingWritesOne() throws Exception {
        String javaHome = Path.of(System.getProperty("java.home")).toRealPath().toString();
        Path archive = tree.resolve("target/netbuf-" + System.getProperty("java.version") + ".jsa");
        Files.writeString(archive, "not an archive");
        Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(0));
        List<Path> before;
        try (var files = Files.list(tree.resolve("target"))) {
            before = files.sorted().toList();
        }
        assertEquals(0, hotplugLikeLibxl(Map.of("JAVA_HOME", javaHome), null).status, hotplugLog());
        String log = hotplugLog();
        assertEquals(1, log.lines().filter(l -> l.contains("warning: ignoring the stale class archive " + archive))
                .count(), log);
        try (var files = Files.list(tree.resolve("target"))) {
            assertEquals(before, files.sorted().toList(), "no archive written at run time");
        }
        assertEquals("not an archive", Files.readString(archive), "the stale archive is left as it was");

        // fresh, but another user's: not mapped into a root process
        Files.setLastModifiedTime(archive, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()
                + 60_000));
        assertEquals(0, run(List.of("chown", "65534", archive.toString())).status);
        assertEquals(0, hotplugLikeLibxl(Map.of("JAVA_HOME", javaHome), null).status, hotplugLog());
        assertTrue(hotplugLog().contains("warning: ignoring the class archive: " + archive.toRealPath()
                + " is owned by uid 65534, not root"), hotplugLog());
    }
}
