package io.netbuf.spi;

import java.time.Duration;

/**
 * Port: the host-wide lock that serialises IFB selection among every process on the host,
 * including Xen's own hotplug scripts ({@code claim_lock pickifb}).
 */
public interface HostLock {
    /** The lock Xen's remus-netbuf-setup takes while it picks an IFB. */
    String PICK_IFB = "pickifb";

    /**
     * Takes the lock, waiting at most {@code timeout}.
     *
     * @param name the lock's name, e.g. {@link #PICK_IFB}
     * @param timeout the longest wait
     * @return the held lock; closing it releases the lock
     * @throws io.netbuf.LockTimeoutException if not granted in time
     */
    Held acquire(String name, Duration timeout);

    /** A held lock. */
    interface Held extends AutoCloseable {
        /** Releases the lock; never throws, idempotent. */
        @Override
        void close();
    }
}
