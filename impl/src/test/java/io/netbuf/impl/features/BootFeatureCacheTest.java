package io.netbuf.impl.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.KernelFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The per-boot cache of present kernel features, alone and behind {@link HostKernelFeatures}: what
 * is kept, what is trusted, how it is written.
 */
class BootFeatureCacheTest {
    private static final String BOOT = "0b5e1d2c-7a1e-4c1d-9a55-3f1c9e2d4b10 6.18.44";
    private static final Set<KernelFeature> ALL = EnumSet.allOf(KernelFeature.class);
    private static final Set<KernelFeature> ALL_BUT_PLUG = EnumSet.complementOf(EnumSet.of(KernelFeature.PLUG));

    @TempDir
    Path root;
    private Path dir;
    private Path file;
    private int me;
    private HostKernelFeatures.Sources sources;
    private final List<Set<KernelFeature>> probed = new ArrayList<>();
    private Set<KernelFeature> probeAnswer = EnumSet.noneOf(KernelFeature.class);

    @BeforeEach
    void setUp() throws IOException {
        dir = root.resolve("run-netbuf");
        file = dir.resolve("kernel-features");
        me = (Integer) Files.getAttribute(root, "unix:uid");
        // No module files at all: only the probe (or the cache) can tell, as on a kernel without /lib/modules.
        sources = new HostKernelFeatures.Sources(root.resolve("proc-modules"), root.resolve("sys-module"),
                root.resolve("lib-modules"));
    }

    private BootFeatureCache cache(String boot) {
        return new BootFeatureCache(file, boot, me);
    }

    private HostKernelFeatures features(BootFeatureCache cache) {
        return new HostKernelFeatures(sources, candidates -> {
            probed.add(EnumSet.copyOf(candidates));
            Set<KernelFeature> out = EnumSet.copyOf(candidates);
            out.retainAll(probeAnswer);
            return out;
        }, cache);
    }

    @Test
    void aNextProcessOfTheSameBootDoesNotProbeWhatWasFoundPresent() {
        probeAnswer = ALL;
        assertEquals(Set.of(), features(cache(BOOT)).missing(ALL));
        assertEquals(1, probed.size());
        assertEquals(Set.of(), features(cache(BOOT)).missing(ALL), "second instance, same boot");
        assertEquals(1, probed.size(), "the second instance must not probe");
    }

    @Test
    void aMissingFeatureIsNeverCachedAndIsCheckedAgain() {
        probeAnswer = ALL_BUT_PLUG;
        assertEquals(Set.of(KernelFeature.PLUG), features(cache(BOOT)).missing(ALL));
        assertEquals(ALL_BUT_PLUG, cache(BOOT).load());
        probeAnswer = ALL; // sch_plug loaded in between
        assertEquals(Set.of(), features(cache(BOOT)).missing(ALL));
        assertEquals(List.of(ALL, EnumSet.of(KernelFeature.PLUG)), probed);
        assertEquals(ALL, cache(BOOT).load(), "what the later check found is added");
    }

    @Test
    void aFileOfAnotherBootOrKernelIsIgnoredAndReplaced() {
        cache("another-boot 6.1.0").store(ALL);
        assertEquals(Set.of(), cache(BOOT).load());
        probeAnswer = EnumSet.of(KernelFeature.IFB);
        assertEquals(EnumSet.complementOf(EnumSet.of(KernelFeature.IFB)), features(cache(BOOT)).missing(ALL));
        assertEquals(List.of(ALL), probed);
        assertEquals(Set.of(KernelFeature.IFB), cache(BOOT).load());
        assertEquals(Set.of(), cache("another-boot 6.1.0").load());
    }

    @Test
    void aFileOfAnotherOwnerIsNotTrusted() {
        cache(BOOT).store(ALL);
        assertEquals(ALL, cache(BOOT).load());
        assertEquals(Set.of(), new BootFeatureCache(file, BOOT, me + 1).load());
    }

    @Test
    void aGroupOrWorldWritableFileIsNotTrusted() throws IOException {
        cache(BOOT).store(ALL);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-r--"));
        assertEquals(Set.of(), cache(BOOT).load());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--rw-"));
        assertEquals(Set.of(), cache(BOOT).load());
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals(ALL, cache(BOOT).load());
    }

    @Test
    void aFileInAWritableDirectoryIsNotTrustedAndNotWritten() throws IOException {
        cache(BOOT).store(EnumSet.of(KernelFeature.IFB));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
        assertEquals(Set.of(), cache(BOOT).load());
        cache(BOOT).store(ALL);
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        assertEquals(Set.of(KernelFeature.IFB), cache(BOOT).load(), "nothing written into an untrusted directory");
    }

    @Test
    void aSymbolicLinkIsNotFollowed() throws IOException {
        Path elsewhere = root.resolve("elsewhere");
        new BootFeatureCache(elsewhere.resolve("kernel-features"), BOOT, me).store(ALL);
        Files.createDirectories(dir);
        Files.createSymbolicLink(file, elsewhere.resolve("kernel-features"));
        assertEquals(Set.of(), cache(BOOT).load());
    }

    @Test
    void malformedOrForeignContentCountsForNothing() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(file, "present=IFB INGRESS\n"); // no key line
        assertEquals(Set.of(), cache(BOOT).load());
        Files.writeString(file, "key=" + BOOT + "\npresent=IFB SCH_FUTURE  MIRRED\n");
        assertEquals(Set.of(KernelFeature.IFB, KernelFeature.MIRRED), cache(BOOT).load());
        Files.write(file, new byte[] {(byte) 0xff, (byte) 0xfe, 0});
        assertEquals(Set.of(), cache(BOOT).load());
    }

    @Test
    void writtenByRenameWithoutLeftoversAndReadableButNotWritableByOthers() throws IOException {
        cache(BOOT).store(EnumSet.of(KernelFeature.IFB));
        Object firstInode = Files.getAttribute(file, "unix:ino");
        cache(BOOT).store(ALL);
        assertFalse(firstInode.equals(Files.getAttribute(file, "unix:ino")), "a new file is renamed over the old");
        try (Stream<Path> entries = Files.list(dir)) {
            assertEquals(List.of(file), entries.toList(), "no temporary file is left behind");
        }
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertTrue(Files.readString(file).contains("key=" + BOOT + "\n"));
    }

    @Test
    void anUnwritableLocationOnlyCostsTheCache() throws IOException {
        Files.writeString(root.resolve("not-a-dir"), "");
        BootFeatureCache nowhere = new BootFeatureCache(root.resolve("not-a-dir/kernel-features"), BOOT, me);
        probeAnswer = ALL;
        assertEquals(Set.of(), features(nowhere).missing(ALL));
        assertEquals(Set.of(), features(nowhere).missing(ALL));
        assertEquals(2, probed.size(), "without a cache every instance probes");
    }

    @Test
    void theRunningKernelIsKeyedByBootIdAndRelease() throws IOException {
        BootFeatureCache running = BootFeatureCache.forRunningKernel();
        String bootId = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
        String release = Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        assertEquals(Path.of(BootFeatureCache.DEFAULT_FILE), running.file());
        assertEquals(bootId + " " + release, running.bootKey());
        BootFeatureCache elsewhere = running.in(file);
        assertEquals(file, elsewhere.file());
        assertEquals(running.bootKey(), elsewhere.bootKey());
    }
}
