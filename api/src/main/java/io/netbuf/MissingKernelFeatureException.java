package io.netbuf;

import io.netbuf.spi.KernelFeature;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/** The running kernel lacks a feature (module) that output buffering needs. */
public final class MissingKernelFeatureException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The features the kernel lacks. */
    private final Set<KernelFeature> missing;

    /**
     * @param missing the features the kernel lacks (not empty)
     * @param vif the vif concerned, or null
     */
    public MissingKernelFeatureException(Set<KernelFeature> missing, String vif) {
        super("the kernel lacks " + describe(missing), vif, null, null);
        this.missing = Collections.unmodifiableSet(EnumSet.copyOf(missing));
    }

    /** @return the features the kernel lacks */
    public Set<KernelFeature> missing() {
        return missing;
    }

    private static String describe(Set<KernelFeature> missing) {
        return missing.stream()
                .map(f -> f.description() + " (load it with 'modprobe " + f.module() + "'; kernel option "
                        + f.configOption() + ")")
                .collect(Collectors.joining(", "));
    }
}
