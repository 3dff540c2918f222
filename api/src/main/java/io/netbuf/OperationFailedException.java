package io.netbuf;

import java.util.List;
import java.util.Optional;

/**
 * The host refused one low-level operation: a tool exited non-zero or the kernel answered a
 * netlink request with an error. Backends throw it; the engine usually wraps it in the
 * exception for the step that failed ({@link RedirectFailedException}, {@link PlugFailedException}).
 */
public final class OperationFailedException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** What failed. */
    private final String operation;
    /** The command line that failed, or empty. */
    private final List<String> command;
    /** Its exit status, or null. */
    private final Integer exitCode;
    /** The errno of a failed system call, or null. */
    private final Integer errno;
    /** Standard error or the kernel's message, or null. */
    private final String detail;

    private OperationFailedException(String operation, List<String> command, Integer exitCode, Integer errno,
            String detail, String vif, String ifb, Throwable cause) {
        super(operation + " failed: " + describe(command, exitCode, errno, detail), vif, ifb, cause);
        this.operation = operation;
        this.command = command == null ? List.of() : List.copyOf(command);
        this.exitCode = exitCode;
        this.errno = errno;
        this.detail = detail == null ? "" : detail;
    }

    /**
     * A tool that exited with a non-zero status (or timed out: exit code -1).
     *
     * @param operation what netbuf was doing, e.g. {@code "add ingress qdisc"}
     * @param argv the command line that ran
     * @param exitCode its exit status
     * @param stderr what it printed on standard error
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @return the exception
     */
    public static OperationFailedException ofCommand(String operation, List<String> argv, int exitCode,
            String stderr, String vif, String ifb) {
        return new OperationFailedException(operation, argv, exitCode, null, stderr == null ? "" : stderr.strip(),
                vif, ifb, null);
    }

    /**
     * A kernel (netlink) request that was answered with an error.
     *
     * @param operation what netbuf was doing
     * @param errno the positive errno the kernel returned
     * @param message the kernel's extended-ack message, or the errno's name when there is none
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @return the exception
     */
    public static OperationFailedException ofErrno(String operation, int errno, String message, String vif,
            String ifb) {
        return new OperationFailedException(operation, null, null, errno, message, vif, ifb, null);
    }

    /**
     * Any other failure of an operation (I/O error, interrupted wait, simulated fault).
     *
     * @param operation what netbuf was doing
     * @param detail what went wrong
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @param cause the underlying failure, or null
     * @return the exception
     */
    public static OperationFailedException of(String operation, String detail, String vif, String ifb,
            Throwable cause) {
        return new OperationFailedException(operation, null, null, null, detail, vif, ifb, cause);
    }

    /** @return what netbuf was doing */
    public String operation() {
        return operation;
    }

    /** @return the argv of the tool that failed; empty when no tool was involved */
    public List<String> command() {
        return command;
    }

    /** @return the tool's exit status, when a tool failed */
    public Optional<Integer> exitCode() {
        return Optional.ofNullable(exitCode);
    }

    /** @return the kernel's errno, when a netlink request failed */
    public Optional<Integer> errno() {
        return Optional.ofNullable(errno);
    }

    /** @return standard error of the tool, or the kernel's message; may be empty */
    public String detail() {
        return detail;
    }

    private static String describe(List<String> command, Integer exitCode, Integer errno, String detail) {
        StringBuilder out = new StringBuilder();
        if (command != null && !command.isEmpty()) {
            out.append('`').append(String.join(" ", command)).append("` exited ").append(exitCode);
        } else if (errno != null) {
            out.append("kernel returned errno ").append(errno);
        }
        if (detail != null && !detail.isBlank()) {
            if (out.length() > 0) {
                out.append(": ");
            }
            out.append(detail.strip());
        }
        return out.toString();
    }
}
