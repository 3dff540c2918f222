package io.netbuf;

import java.util.Optional;

/** A XenStore request failed: the daemon answered with an error, or could not be reached. */
public final class XenstoreException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The XenStore operation that failed. */
    private final String operation;
    /** The path it acted on. */
    private final String path;
    /** XenStore's error name, or null. */
    private final String errno;

    /**
     * @param operation the request, e.g. {@code "read"}, {@code "write"}, {@code "transaction end"}
     * @param path the path concerned, or null
     * @param errno the errno name xenstored answered with ({@code "ENOENT"}, {@code "EAGAIN"}, ...),
     *     or {@code "EIO"} when the daemon could not be reached
     * @param detail extra text (tool stderr, I/O error), or null
     * @param cause the underlying failure, or null
     */
    public XenstoreException(String operation, String path, String errno, String detail, Throwable cause) {
        super("xenstore " + operation + (path == null ? "" : " " + path) + " failed: " + errno
                + (detail == null || detail.isBlank() ? "" : " (" + detail.strip() + ")")
                + hint(errno), null, null, cause);
        this.operation = operation;
        this.path = path;
        this.errno = errno;
    }

    /** @return the request that failed */
    public String operation() {
        return operation;
    }

    /** @return the path concerned, if any */
    public Optional<String> path() {
        return Optional.ofNullable(path);
    }

    /** @return the errno name, e.g. {@code ENOENT} */
    public String errno() {
        return errno;
    }

    /** @return true when the path (or its parent) does not exist */
    public boolean isNotFound() {
        return "ENOENT".equals(errno);
    }

    /** @return true when a transaction lost a race and may be retried */
    public boolean isConflict() {
        return "EAGAIN".equals(errno);
    }

    private static String hint(String errno) {
        switch (errno) {
            case "EACCES":
                return "; run as root in dom0";
            case "EIO":
                return "; is xenstored running (XENSTORED_PATH, /var/run/xenstored/socket, /dev/xen/xenbus)?";
            default:
                return "";
        }
    }
}
