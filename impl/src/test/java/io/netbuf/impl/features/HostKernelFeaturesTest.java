package io.netbuf.impl.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netbuf.OperationFailedException;
import io.netbuf.spi.KernelFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostKernelFeaturesTest {
    private static final Set<KernelFeature> ALL = EnumSet.allOf(KernelFeature.class);

    @TempDir
    Path root;
    private HostKernelFeatures.Sources sources;
    private final List<Set<KernelFeature>> probed = new ArrayList<>();
    private Set<KernelFeature> probeAnswer = EnumSet.noneOf(KernelFeature.class);

    @BeforeEach
    void setUp() throws IOException {
        sources = new HostKernelFeatures.Sources(root.resolve("proc-modules"), root.resolve("sys-module"),
                root.resolve("lib-modules"));
        Files.createDirectories(sources.sysModule());
    }

    private HostKernelFeatures features() {
        return new HostKernelFeatures(sources, candidates -> {
            probed.add(EnumSet.copyOf(candidates));
            Set<KernelFeature> out = EnumSet.copyOf(candidates);
            out.retainAll(probeAnswer);
            return out;
        });
    }

    @Test
    void loadedModulesArePresentWithoutProbing() throws IOException {
        Files.writeString(sources.procModules(), "sch_ingress 16384 0 - Live 0x0000000000000000\n"
                + "act_mirred 24576 0 - Live 0x0000000000000000\nifb 20480 0 - Live 0x0\ncls_u32 28672 0 - Live 0x0\n");
        assertEquals(Set.of(KernelFeature.PLUG), features().missing(ALL));
        assertEquals(List.of(EnumSet.of(KernelFeature.PLUG)), probed);
    }

    @Test
    void sysfsModuleDirectoriesCount() throws IOException {
        Files.createDirectories(sources.sysModule().resolve("ifb"));
        Files.createDirectories(sources.sysModule().resolve("sch_plug"));
        assertEquals(Set.of(KernelFeature.INGRESS, KernelFeature.U32, KernelFeature.MIRRED),
                features().missing(ALL));
    }

    @Test
    void builtInModulesArePresent() throws IOException {
        Files.createDirectories(sources.modulesDir());
        Files.writeString(sources.modulesDir().resolve("modules.builtin"),
                "kernel/drivers/net/ifb.ko\nkernel/net/sched/sch_ingress.ko\nkernel/net/sched/cls_u32.ko\n");
        assertEquals(Set.of(KernelFeature.MIRRED, KernelFeature.PLUG), features().missing(ALL));
    }

    @Test
    void loadableModulesListedInModulesDepArePresent() throws IOException {
        Files.createDirectories(sources.modulesDir());
        Files.writeString(sources.modulesDir().resolve("modules.dep"),
                "kernel/net/sched/sch_plug.ko.xz:\nkernel/net/sched/act_mirred.ko.zst: kernel/net/sched/x.ko\n");
        assertEquals(Set.of(KernelFeature.IFB, KernelFeature.INGRESS, KernelFeature.U32), features().missing(ALL));
    }

    @Test
    void withoutModulesDepTheTreeIsSearched() throws IOException {
        Path sched = Files.createDirectories(sources.modulesDir().resolve("kernel/net/sched"));
        Files.writeString(sched.resolve("sch_plug.ko"), "");
        Files.writeString(sched.resolve("cls-u32.ko.gz"), "");
        assertEquals(Set.of(KernelFeature.IFB, KernelFeature.INGRESS, KernelFeature.MIRRED), features().missing(ALL));
    }

    @Test
    void theProbeDecidesOnlyWhatTheFilesCouldNot() throws IOException {
        Files.createDirectories(sources.sysModule().resolve("ifb"));
        probeAnswer = EnumSet.of(KernelFeature.INGRESS, KernelFeature.U32, KernelFeature.MIRRED);
        assertEquals(Set.of(KernelFeature.PLUG), features().missing(ALL));
        assertEquals(List.of(EnumSet.of(KernelFeature.INGRESS, KernelFeature.U32, KernelFeature.MIRRED,
                KernelFeature.PLUG)), probed);
    }

    @Test
    void presenceIsCachedButAbsenceIsCheckedAgain() {
        probeAnswer = EnumSet.of(KernelFeature.IFB);
        HostKernelFeatures features = features();
        assertEquals(Set.of(KernelFeature.PLUG), features.missing(EnumSet.of(KernelFeature.IFB, KernelFeature.PLUG)));
        probeAnswer = EnumSet.of(KernelFeature.PLUG);
        assertEquals(Set.of(), features.missing(EnumSet.of(KernelFeature.IFB, KernelFeature.PLUG)));
        assertEquals(Set.of(), features.missing(EnumSet.of(KernelFeature.IFB, KernelFeature.PLUG)));
        assertEquals(List.of(EnumSet.of(KernelFeature.IFB, KernelFeature.PLUG), EnumSet.of(KernelFeature.PLUG)),
                probed);
    }

    @Test
    void aProbeThatCannotRunReportsTheUnconfirmedFeaturesMissingInsteadOfThrowing() throws IOException {
        Files.createDirectories(sources.sysModule().resolve("ifb"));
        HostKernelFeatures features = new HostKernelFeatures(sources, candidates -> {
            throw OperationFailedException.of("create a network namespace", "not root", null, null, null);
        });
        assertEquals(Set.of(KernelFeature.PLUG), features.missing(EnumSet.of(KernelFeature.IFB, KernelFeature.PLUG)));
    }

    @Test
    void aProbeRefusedForLackOfPrivilegeSaysRootNotThatAModuleIsMissing() {
        HostKernelFeatures features = new HostKernelFeatures(sources, candidates -> {
            throw io.netbuf.OperationFailedException.ofCommand("create a network namespace to probe kernel features",
                    List.of("ip", "netns", "add", "nbfeat-1"), 1,
                    "mount --make-shared /run/netns failed: Operation not permitted", null, null);
        });
        io.netbuf.InsufficientPrivilegeException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.netbuf.InsufficientPrivilegeException.class, () -> features.missing(ALL));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("needs root")
                && !e.getMessage().contains("modprobe"), e.getMessage());
    }

    @Test
    void nothingWantedNothingMissing() {
        assertEquals(Set.of(), features().missing(Set.of()));
        assertEquals(List.of(), probed);
    }

    @Test
    void moduleNamesComeFromPaths() {
        assertEquals("sch_plug", HostKernelFeatures.moduleName("kernel/net/sched/sch_plug.ko.xz"));
        assertEquals("cls_u32", HostKernelFeatures.moduleName("cls-u32.ko"));
        assertNull(HostKernelFeatures.moduleName("kernel/net/sched/sch_plug.c"));
        assertNull(HostKernelFeatures.moduleName(".ko"));
    }
}
