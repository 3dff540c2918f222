package io.netbuf.impl.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InsufficientPrivilegeException;
import io.netbuf.spi.KernelFeature;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A process without CAP_NET_ADMIN is told it needs root, not that a module is missing. */
class PrivilegeAwareFeaturesTest {
    private static final Set<KernelFeature> ALL = EnumSet.allOf(KernelFeature.class);

    @Test
    void anUnprivilegedProcessIsToldItNeedsRoot() {
        PrivilegeAwareFeatures features = new PrivilegeAwareFeatures(wanted -> EnumSet.of(KernelFeature.PLUG),
                () -> false);
        InsufficientPrivilegeException e = assertThrows(InsufficientPrivilegeException.class,
                () -> features.missing(ALL));
        assertTrue(e.getMessage().contains("needs root") && !e.getMessage().contains("modprobe"), e.getMessage());
    }

    @Test
    void aPrivilegedProcessHearsWhatIsMissingAndNothingIsClaimedWhenNothingIs() {
        assertEquals(EnumSet.of(KernelFeature.PLUG),
                new PrivilegeAwareFeatures(wanted -> EnumSet.of(KernelFeature.PLUG), () -> true).missing(ALL));
        assertEquals(Set.of(), new PrivilegeAwareFeatures(wanted -> EnumSet.noneOf(KernelFeature.class), () -> false)
                .missing(ALL));
    }

    @Test
    void rootHasNetAdmin() {
        if ("root".equals(System.getProperty("user.name"))) {
            assertTrue(PrivilegeAwareFeatures.hasNetAdmin());
        }
    }
}
