package io.netbuf.impl.host;

import io.netbuf.InsufficientPrivilegeException;
import io.netbuf.OperationFailedException;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * The kernel feature check of a process that may lack privilege: the last-resort probe needs a
 * network namespace, which only root (CAP_SYS_ADMIN, CAP_NET_ADMIN) may create, so without it a
 * feature the module lists do not show cannot be told apart from a missing one. Such a process is
 * told that it needs root instead of being told to load a module.
 */
final class PrivilegeAwareFeatures implements KernelFeatures {
    /** CAP_NET_ADMIN's bit in the capability sets of {@code /proc/self/status}. */
    private static final int CAP_NET_ADMIN = 12;
    private static final Path STATUS = Path.of("/proc/self/status");

    private final KernelFeatures delegate;
    private final BooleanSupplier privileged;

    PrivilegeAwareFeatures(KernelFeatures delegate, BooleanSupplier privileged) {
        this.delegate = delegate;
        this.privileged = privileged;
    }

    @Override
    public Set<KernelFeature> missing(Set<KernelFeature> wanted) {
        Set<KernelFeature> missing = delegate.missing(wanted);
        if (!missing.isEmpty() && !privileged.getAsBoolean()) {
            throw InsufficientPrivilegeException.of("check kernel features", null, null,
                    OperationFailedException.of("check kernel features", "could not tell whether the kernel has "
                            + missing + ": the check needs a network namespace, which this process (no "
                            + "CAP_NET_ADMIN) may not create", null, null, null));
        }
        return missing;
    }

    /**
     * @return whether this process has CAP_NET_ADMIN in its effective set; true when that cannot be
     *     read (then nothing is claimed about privilege)
     */
    static boolean hasNetAdmin() {
        try {
            for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
                if (line.startsWith("CapEff:")) {
                    long caps = Long.parseUnsignedLong(line.substring("CapEff:".length()).strip(), 16);
                    return (caps & (1L << CAP_NET_ADMIN)) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return true;
        }
        return true;
    }
}
