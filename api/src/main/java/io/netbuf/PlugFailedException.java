package io.netbuf;

/**
 * The plug qdisc could not be installed on, or driven on, the IFB. When thrown by attach, the
 * host was rolled back first.
 */
public final class PlugFailedException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The plug action that failed. */
    private final String action;

    /**
     * @param action what was asked of the plug, e.g. {@code "add plug qdisc"} or {@code "BUFFER"}
     * @param vif the vif
     * @param ifb the IFB
     * @param cause the backend's failure
     */
    public PlugFailedException(String action, String vif, String ifb, Throwable cause) {
        super("plug qdisc on " + ifb + " for " + vif + " failed (" + action + "): "
                + (cause == null ? "unknown cause" : cause.getMessage())
                + hint(cause), vif, ifb, cause);
        this.action = action;
    }

    private static String hint(Throwable cause) {
        if (InsufficientPrivilegeException.refusal(cause).isPresent()) {
            return "; not permitted: netbuf needs root (CAP_NET_ADMIN)"; // not a missing sch_plug
        }
        if (cause instanceof OperationFailedException) {
            OperationFailedException op = (OperationFailedException) cause;
            String detail = op.detail().toLowerCase(java.util.Locale.ROOT);
            if (detail.contains("unable to load module")) {
                return ""; // a tool's own plug module, not the kernel's: the detail already says what to do
            }
            if (detail.contains("unknown") || detail.contains("plug") && detail.contains("not")
                    || op.errno().filter(e -> e == 2 || e == 95).isPresent()) {
                return "; does the kernel have sch_plug (modprobe sch_plug)?";
            }
        }
        return "";
    }

    /** @return what was asked of the plug */
    public String action() {
        return action;
    }
}
