package io.netbuf.spi;

import io.netbuf.Protocols;
import io.netbuf.Validate;
import io.netbuf.event.BufferListener;
import java.time.Duration;
import java.util.List;
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
 * @param listeners told of the buffer's events from its attach on (may be empty)
 * @param ownerPid the process that drives the plug once the attach or adopt returns, recorded beside
 *     the claim as the buffer's owner; 0 for the calling process
 */
public record BufferSpec(String vif, long limitBytes, String xenbusPath, Protocols protocols, Duration lockTimeout,
        boolean createIfb, List<BufferListener> listeners, long ownerPid) {
    /**
     * Validates every field; see {@link Validate}.
     *
     * @param vif the guest's vif
     * @param limitBytes the plug's byte limit
     * @param xenbusPath where the IFB claim and hotplug status are recorded, or null
     * @param protocols which traffic is buffered
     * @param lockTimeout the longest wait for the host lock
     * @param createIfb whether an IFB may be created when none is free
     * @param listeners told of the buffer's events from its attach on (may be empty)
     * @param ownerPid the process that drives the plug, 0 for the calling process
     */
    public BufferSpec {
        Validate.vif(vif);
        Validate.limit(limitBytes);
        if (xenbusPath != null) {
            Validate.xenbusPath(xenbusPath);
        }
        Objects.requireNonNull(protocols, "protocols");
        Validate.lockTimeout(lockTimeout);
        listeners = List.copyOf(listeners);
        Validate.ownerPid(ownerPid);
    }

    /**
     * A configuration whose owner is the calling process.
     *
     * @param vif the guest's vif
     * @param limitBytes the plug's byte limit
     * @param xenbusPath where the IFB claim and hotplug status are recorded, or null
     * @param protocols which traffic is buffered
     * @param lockTimeout the longest wait for the host lock
     * @param createIfb whether an IFB may be created when none is free
     * @param listeners told of the buffer's events from its attach on (may be empty)
     */
    public BufferSpec(String vif, long limitBytes, String xenbusPath, Protocols protocols, Duration lockTimeout,
            boolean createIfb, List<BufferListener> listeners) {
        this(vif, limitBytes, xenbusPath, protocols, lockTimeout, createIfb, listeners, 0);
    }

    /**
     * A configuration without listeners.
     *
     * @param vif the guest's vif
     * @param limitBytes the plug's byte limit
     * @param xenbusPath where the IFB claim and hotplug status are recorded, or null
     * @param protocols which traffic is buffered
     * @param lockTimeout the longest wait for the host lock
     * @param createIfb whether an IFB may be created when none is free
     */
    public BufferSpec(String vif, long limitBytes, String xenbusPath, Protocols protocols, Duration lockTimeout,
            boolean createIfb) {
        this(vif, limitBytes, xenbusPath, protocols, lockTimeout, createIfb, List.of(), 0);
    }

    /** @return the xenbus path, if one was given */
    public Optional<String> xenbus() {
        return Optional.ofNullable(xenbusPath);
    }
}
