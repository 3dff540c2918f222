package io.netbuf.impl.libc;

/**
 * The Linux errno values netbuf's native parts test for, and their names and descriptions: the
 * one place errno numbers are spelled out (as Netty keeps one {@code Errors} for its native
 * transports).
 */
public final class Errno {
    /** {@code ENOENT}. */
    public static final int ENOENT = 2;
    /** {@code EINTR}. */
    public static final int EINTR = 4;
    /** {@code EAGAIN}. */
    public static final int EAGAIN = 11;
    /** {@code EWOULDBLOCK}, the same number as {@link #EAGAIN} on Linux. */
    public static final int EWOULDBLOCK = EAGAIN;
    /** {@code EACCES}. */
    public static final int EACCES = 13;
    /** {@code EEXIST}. */
    public static final int EEXIST = 17;
    /** {@code ENODEV}. */
    public static final int ENODEV = 19;
    /** {@code EINVAL}. */
    public static final int EINVAL = 22;
    /** {@code ELOOP}: among others, open(2) with {@link Libc#O_NOFOLLOW} of a symbolic link. */
    public static final int ELOOP = 40;
    /** {@code ECONNREFUSED}: among others, a netlink datagram to a socket connected to another peer. */
    public static final int ECONNREFUSED = 111;

    private Errno() {
    }

    /**
     * @param errno a positive errno
     * @return e.g. {@code "ENOENT (No such file or directory)"}, or {@code "errno 1234"}
     */
    public static String describe(int errno) {
        String[] entry = entry(errno);
        return entry == null ? "errno " + errno : entry[0] + " (" + entry[1] + ")";
    }

    /**
     * @param errno an error number
     * @return libc's description of it (strerror(3)), e.g. {@code "No such file or directory"}
     * @throws UnsatisfiedLinkError when libc cannot be called here ({@link Libc#unavailableReason()})
     */
    public static String strerror(int errno) {
        return Libc.strerror(errno);
    }

    private static String[] entry(int errno) {
        switch (errno) {
            case 1: return new String[] {"EPERM", "Operation not permitted"};
            case 2: return new String[] {"ENOENT", "No such file or directory"};
            case 3: return new String[] {"ESRCH", "No such process"};
            case 4: return new String[] {"EINTR", "Interrupted system call"};
            case 5: return new String[] {"EIO", "Input/output error"};
            case 6: return new String[] {"ENXIO", "No such device or address"};
            case 7: return new String[] {"E2BIG", "Argument list too long"};
            case 9: return new String[] {"EBADF", "Bad file descriptor"};
            case 11: return new String[] {"EAGAIN", "Resource temporarily unavailable"};
            case 12: return new String[] {"ENOMEM", "Cannot allocate memory"};
            case 13: return new String[] {"EACCES", "Permission denied"};
            case 14: return new String[] {"EFAULT", "Bad address"};
            case 16: return new String[] {"EBUSY", "Device or resource busy"};
            case 17: return new String[] {"EEXIST", "File exists"};
            case 19: return new String[] {"ENODEV", "No such device"};
            case 22: return new String[] {"EINVAL", "Invalid argument"};
            case 23: return new String[] {"ENFILE", "Too many open files in system"};
            case 24: return new String[] {"EMFILE", "Too many open files"};
            case 28: return new String[] {"ENOSPC", "No space left on device"};
            case 34: return new String[] {"ERANGE", "Numerical result out of range"};
            case 40: return new String[] {"ELOOP", "Too many levels of symbolic links"};
            case 75: return new String[] {"EOVERFLOW", "Value too large for defined data type"};
            case 90: return new String[] {"EMSGSIZE", "Message too long"};
            case 92: return new String[] {"ENOPROTOOPT", "Protocol not available"};
            case 93: return new String[] {"EPROTONOSUPPORT", "Protocol not supported"};
            case 95: return new String[] {"EOPNOTSUPP", "Operation not supported"};
            case 97: return new String[] {"EAFNOSUPPORT", "Address family not supported by protocol"};
            case 105: return new String[] {"ENOBUFS", "No buffer space available"};
            case 110: return new String[] {"ETIMEDOUT", "Connection timed out"};
            case 111: return new String[] {"ECONNREFUSED", "Connection refused"};
            default: return null;
        }
    }
}
