package io.netbuf;

import java.time.Duration;

/** The host lock that serialises IFB selection (shared with Xen's hotplug scripts) was not granted in time. */
public final class LockTimeoutException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The lock waited for. */
    private final String lock;
    /** How long it was waited for. */
    private final Duration timeout;

    /**
     * @param lock the lock's name or file, e.g. {@code /var/run/xen-hotplug/pickifb}
     * @param timeout how long netbuf waited
     * @param vif the vif concerned, or null
     */
    public LockTimeoutException(String lock, Duration timeout, String vif) {
        super("timed out after " + timeout.toMillis() + " ms waiting for host lock " + lock
                + "; another netbuf or Xen hotplug script holds it (check for a stuck process, or raise lockTimeout)",
                vif, null, null);
        this.lock = lock;
        this.timeout = timeout;
    }

    /** @return the lock's name or file */
    public String lock() {
        return lock;
    }

    /** @return how long netbuf waited */
    public Duration timeout() {
        return timeout;
    }
}
