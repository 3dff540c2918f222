package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kernel lab's choice of kernel package ({@code it/kernel-lab/lab.sh kernel}), against fake
 * {@code apt-cache} and {@code apt-get} on {@code PATH} that answer as Debian's archive did when the
 * lab first broke: the newest ABI published only as {@code -unsigned}, its signed twin not yet there.
 * The lab must pick only names apt can download, and fall back loudly when a download fails.
 */
class LabKernelChoiceTest {
    /** name, then its candidate version ({@code (none)}: listed by search, nothing to download). */
    private static final List<String> ARCHIVE = List.of(
            "linux-image-6.12.119+deb12-amd64 (none)",
            "linux-image-6.12.118+deb12-amd64-unsigned 6.12.118-1~deb12u1",
            "linux-image-6.12.118+deb12-cloud-amd64-unsigned 6.12.118-1~deb12u1",
            "linux-image-6.12.118+deb12-rt-amd64-unsigned 6.12.118-1~deb12u1",
            "linux-image-6.12.117+deb12-amd64 6.12.117-1~deb12u1",
            "linux-image-6.12.117+deb12-amd64-unsigned 6.12.117-1~deb12u1",
            "linux-image-6.12.117+deb12-amd64-dbg 6.12.117-1~deb12u1",
            "linux-image-6.12.117+deb12-cloud-amd64 6.12.117-1~deb12u1",
            "linux-image-6.12.9+deb12-amd64 6.12.9-1~deb12u1",
            "linux-image-6.1.0-57-amd64 6.1.192-3",
            "linux-image-6.1.0-57-amd64-unsigned 6.1.192-3");

    private static final String FAKE_APT_CACHE = """
            #!/bin/bash
            # apt-cache as the archive in $FAKE_APT/archive answers it ("name candidate" lines).
            archive=$FAKE_APT/archive
            case $1 in
              search) shift; [[ $1 == --names-only ]] && shift
                      awk '{print $1}' "$archive" | grep -E -- "$1" | sed 's/$/ - Linux kernel image/' ;;
              depends) echo "$2"
                       [[ $2 == linux-image-amd64 ]] && echo "  Depends: linux-image-6.1.0-57-amd64" ;;
              policy) shift
                      for n; do
                          v=$(awk -v n="$n" '$1 == n {print $2}' "$archive")
                          [[ -n $v ]] || continue
                          printf '%s:\\n  Installed: (none)\\n  Candidate: %s\\n  Version table:\\n' "$n" "$v"
                      done ;;
              *) echo "fake apt-cache: $*" >&2; exit 100 ;;
            esac
            """;

    private static final String FAKE_APT_GET = """
            #!/bin/bash
            # apt-get update / download; names listed in $FAKE_APT/broken fail to download.
            while [[ $1 == -o ]]; do shift 2; done
            echo "$*" >> "$FAKE_APT/log"
            case $1 in
              update) ;;
              download)
                pkg=$2
                if grep -qxF -- "$pkg" "$FAKE_APT/broken"; then
                    echo "E: Failed to fetch $pkg  404  Not Found" >&2; exit 100
                fi
                abi=${pkg#linux-image-}; abi=${abi%-unsigned}
                tree=$(mktemp -d)
                mkdir -p "$tree/DEBIAN" "$tree/boot" "$tree/lib/modules/$abi"
                echo "kernel $pkg" > "$tree/boot/vmlinuz-$abi"
                printf 'Package: %s\\nVersion: 1\\nArchitecture: amd64\\nMaintainer: t <t@example.invalid>\\nDescription: fake\\n' \\
                    "$pkg" > "$tree/DEBIAN/control"
                dpkg-deb --build -Zgzip "$tree" "./${pkg}_1_amd64.deb" > /dev/null || exit 100
                rm -rf "$tree" ;;
              *) echo "fake apt-get: $*" >&2; exit 100 ;;
            esac
            """;

    @TempDir
    Path dir;

    private Path fakeApt;
    private Path cache;

    @BeforeEach
    void fakeArchive() throws IOException {
        Requirements.require(Requirements.onPath("dpkg-deb") && Requirements.onPath("bash"),
                "bash and dpkg-deb (the fake apt-get builds real packages)");
        fakeApt = Files.createDirectories(dir.resolve("apt"));
        cache = dir.resolve("cache");
        Files.write(fakeApt.resolve("archive"), ARCHIVE);
        Files.writeString(fakeApt.resolve("broken"), "");
        Files.writeString(fakeApt.resolve("log"), "");
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("apt-cache"), FAKE_APT_CACHE);
        script(bin.resolve("apt-get"), FAKE_APT_GET);
    }

    @Test
    void candidatesAreOnlyNamesWithACandidateNewestFirstSignedBeforeUnsigned() throws Exception {
        Result r = lab("kernel", "--list");
        assertEquals(0, r.exit, r.stderr);
        assertEquals(List.of(
                "linux-image-6.12.118+deb12-amd64-unsigned",
                "linux-image-6.12.117+deb12-amd64",
                "linux-image-6.12.117+deb12-amd64-unsigned",
                "linux-image-6.12.9+deb12-amd64",
                "linux-image-6.1.0-57-amd64",
                "linux-image-6.1.0-57-amd64-unsigned"), r.stdout.lines().toList());
    }

    @Test
    void fetchesTheNewestDownloadableKernelAndSaysWhichOne() throws Exception {
        Result r = lab("kernel");
        assertEquals(0, r.exit, r.stderr);
        assertEquals("linux-image-6.12.118+deb12-amd64-unsigned", r.stdout.strip());
        assertTrue(r.stderr.contains("[lab] kernel package: linux-image-6.12.118+deb12-amd64-unsigned"), r.stderr);
        Path tree = cache.resolve("kernels/linux-image-6.12.118+deb12-amd64-unsigned");
        assertTrue(Files.isRegularFile(tree.resolve(".complete")));
        assertTrue(Files.isRegularFile(tree.resolve("boot/vmlinuz-6.12.118+deb12-amd64")));
        assertEquals(List.of("download linux-image-6.12.118+deb12-amd64-unsigned"), aptLog());
    }

    @Test
    void aFailedDownloadFallsBackToTheNextCandidateLoudly() throws Exception {
        Files.write(fakeApt.resolve("broken"), List.of(
                "linux-image-6.12.118+deb12-amd64-unsigned", "linux-image-6.12.117+deb12-amd64"));
        Result r = lab("kernel");
        assertEquals(0, r.exit, r.stderr);
        assertEquals("linux-image-6.12.117+deb12-amd64-unsigned", r.stdout.strip());
        assertTrue(r.stderr.contains(
                "WARNING: apt-get download linux-image-6.12.118+deb12-amd64-unsigned failed"), r.stderr);
        assertTrue(r.stderr.contains("WARNING: apt-get download linux-image-6.12.117+deb12-amd64 failed"), r.stderr);
        assertFalse(Files.exists(cache.resolve("kernels/linux-image-6.12.118+deb12-amd64-unsigned")),
                "a failed download leaves nothing in the cache");
    }

    @Test
    void aKernelAlreadyInTheCacheIsNotDownloadedAgain() throws Exception {
        assertEquals(0, lab("kernel").exit);
        Files.writeString(fakeApt.resolve("log"), "");
        Result again = lab("kernel");
        assertEquals(0, again.exit, again.stderr);
        assertEquals("linux-image-6.12.118+deb12-amd64-unsigned", again.stdout.strip());
        assertEquals(List.of(), aptLog());
    }

    @Test
    void nothingDownloadableFailsNamingWhatWasTriedAfterOneUpdate() throws Exception {
        List<String> all = lab("kernel", "--list").stdout.lines().toList();
        Files.write(fakeApt.resolve("broken"), all);
        Result r = lab("kernel");
        assertEquals(2, r.exit, r.stderr);
        assertTrue(r.stderr.contains("[lab] ERROR: no linux-image-*-amd64 package could be downloaded"), r.stderr);
        assertTrue(r.stderr.contains(all.get(all.size() - 1)), r.stderr);
        assertEquals(1, aptLog().stream().filter(l -> l.startsWith("update")).count(), "package lists refreshed once");
        assertFalse(Files.exists(cache.resolve("kernels")) && hasEntries(cache.resolve("kernels")));
    }

    @Test
    void aPinnedKernelIsTheOnlyOneTried() throws Exception {
        Files.write(fakeApt.resolve("broken"), List.of("linux-image-6.1.0-57-amd64"));
        Result r = lab(Map.of("NETBUF_LAB_KERNEL", "linux-image-6.1.0-57-amd64"), "kernel");
        assertEquals(2, r.exit, r.stderr);
        assertTrue(r.stderr.contains("linux-image-6.1.0-57-amd64 (NETBUF_LAB_KERNEL) failed"), r.stderr);
        assertEquals(List.of("download linux-image-6.1.0-57-amd64"), aptLog());
    }

    private List<String> aptLog() throws IOException {
        return Files.readAllLines(fakeApt.resolve("log"));
    }

    private static boolean hasEntries(Path directory) throws IOException {
        try (var entries = Files.list(directory)) {
            return entries.findAny().isPresent();
        }
    }

    private static void script(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private record Result(int exit, String stdout, String stderr) {
    }

    private Result lab(String... args) throws Exception {
        return lab(Map.of(), args);
    }

    private Result lab(Map<String, String> env, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("bash", RepoLayout.labScript().toString()));
        argv.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(argv)
                .redirectOutput(dir.resolve("stdout").toFile())
                .redirectError(dir.resolve("stderr").toFile());
        pb.environment().remove("NETBUF_LAB_KERNEL");
        pb.environment().put("PATH", dir.resolve("bin") + ":" + System.getenv("PATH"));
        pb.environment().put("FAKE_APT", fakeApt.toString());
        pb.environment().put("NETBUF_LAB_CACHE", cache.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("lab.sh " + String.join(" ", args) + " did not finish in 120 s");
        }
        return new Result(p.exitValue(), Files.readString(dir.resolve("stdout")),
                Files.readString(dir.resolve("stderr")));
    }
}
