package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.spi.KernelFeature;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Kernel feature detection on the running kernel. The answer for the plug is checked against
 * ground truth found independently ({@code tc} in a scratch namespace), so the test holds on
 * kernels with and without sch_plug, modular or built in.
 */
class HostKernelFeaturesIT {
    @Test
    void reportsWhatTheRunningKernelCanDo() {
        Requirements.netns();
        boolean plug = KernelState.kernelHasPlug();
        Set<KernelFeature> missing = new HostKernelFeatures().missing(EnumSet.allOf(KernelFeature.class));
        Set<KernelFeature> expected = plug ? EnumSet.noneOf(KernelFeature.class) : EnumSet.of(KernelFeature.PLUG);
        assertEquals(expected, missing, "ifb, ingress, u32 and mirred are needed by every netbuf host"
                + " (this test's machines have them); plug " + (plug ? "works" : "does not work") + " here");
        assertFalse(Netns.sh("ip", "netns", "list").contains("nbfeat-" + ProcessHandle.current().pid() + "-"),
                "the probe must delete its namespaces");
    }

    @Test
    void presenceIsCachedPerInstance() {
        Requirements.netns();
        HostKernelFeatures features = new HostKernelFeatures();
        Set<KernelFeature> needed = EnumSet.of(KernelFeature.IFB, KernelFeature.INGRESS, KernelFeature.U32,
                KernelFeature.MIRRED);
        assertEquals(Set.of(), features.missing(needed));
        assertEquals(Set.of(), features.missing(needed));
    }

}
