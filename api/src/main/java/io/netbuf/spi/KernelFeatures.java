package io.netbuf.spi;

import java.util.Set;

/** Port: which kernel features are present (built in or loadable). */
public interface KernelFeatures {
    /**
     * @param wanted the features to check
     * @return those the kernel lacks; empty when all are present
     */
    Set<KernelFeature> missing(Set<KernelFeature> wanted);
}
