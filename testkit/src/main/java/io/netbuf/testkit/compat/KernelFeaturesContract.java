package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.Protocols;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Compatibility kit for {@link KernelFeatures}: the answer is consistent, and it is true: an
 * operation that needs a feature reported present works, and one that needs a feature reported
 * missing is refused.
 */
public abstract class KernelFeaturesContract extends PortContract {
    /** For subclasses. */
    protected KernelFeaturesContract() {
    }

    private KernelFeatures features() {
        return host().features();
    }

    private boolean present(KernelFeature f) {
        return features().missing(Set.of(f)).isEmpty();
    }

    @Test
    void nothingWantedNothingMissing() {
        assertEquals(Set.of(), features().missing(Set.of()));
    }

    @Test
    void reportsOnlyWhatWasAskedAndConsistently() {
        Set<KernelFeature> all = EnumSet.allOf(KernelFeature.class);
        Set<KernelFeature> missing = features().missing(all);
        assertTrue(all.containsAll(missing));
        for (KernelFeature f : all) {
            assertEquals(missing.contains(f), !present(f), "asked alone and together, " + f + " agrees");
        }
        assertEquals(features().missing(all), missing, "asking twice gives the same answer");
    }

    @Test
    void theIfbAnswerIsTrue() {
        if (present(KernelFeature.IFB)) {
            host().links().createIfb(IFB);
            assertTrue(host().links().find(IFB).orElseThrow().isIfb());
        } else {
            assertRefused(() -> host().links().createIfb(IFB), 95, 22, 2);
        }
    }

    @Test
    void theIngressAnswerIsTrue() {
        fixture().addVif(VIF);
        if (present(KernelFeature.INGRESS)) {
            host().trafficControl().addIngress(VIF);
        } else {
            assertRefused(() -> host().trafficControl().addIngress(VIF), ENOENT);
        }
    }

    @Test
    void theRedirectAnswerIsTrue() {
        Set<KernelFeature> needed = EnumSet.of(KernelFeature.INGRESS, KernelFeature.U32, KernelFeature.MIRRED);
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        if (!present(KernelFeature.INGRESS)) {
            // without an ingress qdisc there is no parent for the filter
            assertRefused(() -> host().trafficControl().addIngress(VIF), ENOENT);
            assertRefused(() -> host().trafficControl().addRedirect(VIF, IFB, Protocols.ALL), EINVAL, ENOENT);
            return;
        }
        host().trafficControl().addIngress(VIF);
        if (features().missing(needed).isEmpty()) {
            host().trafficControl().addRedirect(VIF, IFB, Protocols.ALL);
            assertEquals(List.of(IFB), host().trafficControl().redirectTargets(VIF));
        } else {
            assertRefused(() -> host().trafficControl().addRedirect(VIF, IFB, Protocols.ALL), ENOENT, EINVAL);
            assertEquals(List.of(), host().trafficControl().redirectTargets(VIF));
        }
    }

    @Test
    void thePlugAnswerIsTrue() {
        fixture().addIfb(IFB);
        if (present(KernelFeature.PLUG)) {
            host().trafficControl().addPlug(IFB, 10_000);
        } else {
            assertRefused(() -> host().trafficControl().addPlug(IFB, 10_000), ENOENT, EINVAL);
        }
    }
}
