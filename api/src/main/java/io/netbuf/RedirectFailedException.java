package io.netbuf;

/**
 * The vif's traffic could not be redirected into the IFB (IFB up, ingress qdisc, or the mirred
 * redirect filter). The host was rolled back before this was thrown.
 */
public final class RedirectFailedException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The redirect step that failed. */
    private final String step;

    /**
     * @param step the step that failed, e.g. {@code "add redirect filter"}
     * @param vif the vif
     * @param ifb the IFB
     * @param cause the backend's failure
     */
    public RedirectFailedException(String step, String vif, String ifb, Throwable cause) {
        super("could not redirect " + vif + (ifb == null ? "" : " into " + ifb) + " (" + step + "): "
                + (cause == null ? "unknown cause" : cause.getMessage())
                + "; check that the vif exists and has no conflicting ingress qdisc", vif, ifb, cause);
        this.step = step;
    }

    /** @return the step that failed */
    public String step() {
        return step;
    }
}
