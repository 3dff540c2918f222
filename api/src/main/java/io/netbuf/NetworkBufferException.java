package io.netbuf;

import java.util.Optional;

/**
 * Root of every failure netbuf reports. Unchecked; each cause has its own subclass that carries
 * its context (vif, IFB, operation) so callers can branch on type and read fields instead of
 * parsing messages.
 */
public abstract class NetworkBufferException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** The vif concerned, or null. */
    private final String vif;
    /** The IFB concerned, or null. */
    private final String ifb;

    /**
     * Creates an exception.
     *
     * @param message what failed and what to do about it
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @param cause the underlying failure, or null
     */
    protected NetworkBufferException(String message, String vif, String ifb, Throwable cause) {
        super(message, cause);
        this.vif = vif;
        this.ifb = ifb;
    }

    /** @return the vif this failure concerns, if known */
    public Optional<String> vif() {
        return Optional.ofNullable(vif);
    }

    /** @return the IFB this failure concerns, if known */
    public Optional<String> ifb() {
        return Optional.ofNullable(ifb);
    }
}
