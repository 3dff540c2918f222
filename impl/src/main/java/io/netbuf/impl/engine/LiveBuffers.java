package io.netbuf.impl.engine;

import io.netbuf.spi.Host;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.WeakHashMap;

/**
 * The handles this JVM has made (attach and adopt) that are not closed, so that a second handle on
 * the same buffer can be refused. Weak: a handle dropped without {@code close()} no longer counts
 * once collected (its buffer is then left on the host, as after a crash, and may be adopted).
 * Thread-safe.
 */
final class LiveBuffers {
    private static final Map<AttachedBuffer, Boolean> HANDLES = Collections.synchronizedMap(new WeakHashMap<>());

    private LiveBuffers() {
    }

    /** @param buffer a handle just made */
    static void add(AttachedBuffer buffer) {
        HANDLES.put(buffer, Boolean.TRUE);
    }

    /**
     * @param host the host
     * @param vif a vif
     * @param ifb an IFB, or null
     * @return a handle on {@code host} that is not closed and drives {@code vif} or {@code ifb}
     */
    static Optional<AttachedBuffer> owner(Host host, String vif, String ifb) {
        synchronized (HANDLES) {
            for (AttachedBuffer buffer : HANDLES.keySet()) {
                if (buffer != null && buffer.host() == host && !buffer.isClosed()
                        && (buffer.vif().equals(vif) || buffer.ifb().equals(ifb))) {
                    return Optional.of(buffer);
                }
            }
        }
        return Optional.empty();
    }
}
