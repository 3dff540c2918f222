package io.netbuf.spi;

import io.netbuf.Protocols;
import io.netbuf.Validate;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A buffer's validated configuration, handed from the builder to the engine.
 *
 * @param vif the guest's vif
 * @param limitBytes the plug's byte limit
 * @param xenbusPath where the IFB claim and hotplug status are recorded, or null
 * @param protocols which traffic is buffered
 * @param lockTimeout the longest wait for the host lock
 * @param createIfb whether an IFB may be created when none is free
 */
public record BufferSpec(String vif, long limitBytes, String xenbusPath, Protocols protocols, Duration lockTimeout,
        boolean createIfb) {
    /**
     * Validates every field; see {@link Validate}.
     *
     * @param vif the guest's vif
     * @param limitBytes the plug's byte limit
     * @param xenbusPath where the IFB claim and hotplug status are recorded, or null
     * @param protocols which traffic is buffered
     * @param lockTimeout the longest wait for the host lock
     * @param createIfb whether an IFB may be created when none is free
     */
    public BufferSpec {
        Validate.vif(vif);
        Validate.limit(limitBytes);
        if (xenbusPath != null) {
            Validate.xenbusPath(xenbusPath);
        }
        Objects.requireNonNull(protocols, "protocols");
        Validate.lockTimeout(lockTimeout);
    }

    /** @return the xenbus path, if one was given */
    public Optional<String> xenbus() {
        return Optional.ofNullable(xenbusPath);
    }
}
