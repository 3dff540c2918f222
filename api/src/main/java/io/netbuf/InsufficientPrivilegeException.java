package io.netbuf;

import java.util.Locale;
import java.util.Optional;

/**
 * The host refused netbuf for lack of privilege: the kernel answered {@code EPERM} or
 * {@code EACCES} (netlink, {@code ip}/{@code tc}, the host lock file), or the kernel
 * features could not be checked because the process may not create a network namespace. netbuf
 * must run as root in dom0 (as libxl runs Xen's hotplug script); no module is missing because of it.
 */
public final class InsufficientPrivilegeException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;
    /** {@code EPERM}. */
    private static final int EPERM = 1;
    /** {@code EACCES}. */
    private static final int EACCES = 13;

    /** The operation that was refused. */
    private final String operation;

    private InsufficientPrivilegeException(String operation, String vif, String ifb, Throwable cause) {
        super(operation + " needs root (CAP_NET_ADMIN, the host lock in /var/run/xen-hotplug and XenStore): "
                + (cause == null ? "not permitted" : cause.getMessage()) + "; run netbuf as root, as libxl runs it",
                vif, ifb, cause);
        this.operation = operation;
    }

    /**
     * Creates the exception.
     *
     * @param operation what netbuf was doing, e.g. {@code "add plug qdisc"}
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @param cause the refusal, or null
     * @return the exception
     */
    public static InsufficientPrivilegeException of(String operation, String vif, String ifb, Throwable cause) {
        return new InsufficientPrivilegeException(operation, vif, ifb, cause);
    }

    /**
     * Recognises a refusal for lack of privilege anywhere in a failure's cause chain: an
     * {@link OperationFailedException} with errno {@code EPERM}/{@code EACCES} or a tool's
     * "Operation not permitted"/"Permission denied". (A {@link XenstoreException} {@code EACCES}
     * keeps its type: its message already says to run as root in dom0.)
     *
     * @param failure a failure
     * @return the refusal found, or empty
     */
    public static Optional<NetworkBufferException> refusal(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof InsufficientPrivilegeException) {
                return Optional.of((NetworkBufferException) t);
            }
            if (t instanceof OperationFailedException op) {
                String detail = op.detail().toLowerCase(Locale.ROOT);
                if (op.errno().filter(e -> e == EPERM || e == EACCES).isPresent()
                        || detail.contains("operation not permitted") || detail.contains("permission denied")) {
                    return Optional.of(op);
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return Optional.empty();
    }

    /**
     * Reports a failure caused by a refusal for lack of privilege (see {@link #refusal(Throwable)})
     * as this exception, with the failure as its cause; any other failure is returned as it is.
     *
     * @param operation what netbuf was doing, e.g. {@code "attach of vif5.0"}
     * @param failure the failure
     * @return {@code failure}, or this exception wrapping it
     */
    public static NetworkBufferException explain(String operation, NetworkBufferException failure) {
        if (failure instanceof InsufficientPrivilegeException || refusal(failure).isEmpty()) {
            return failure;
        }
        return of(operation, failure.vif().orElse(null), failure.ifb().orElse(null), failure);
    }

    /** @return what netbuf was doing */
    public String operation() {
        return operation;
    }
}
