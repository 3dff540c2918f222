package io.netbuf.impl.netlink;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The few libc calls the netlink socket needs, bound through JNA direct mapping. Every argument
 * is a primitive (pointers and sizes as {@code long}), which keeps JNA on its fast path: a call
 * boxes nothing and allocates nothing. That limits this binding to 64-bit Linux, which
 * {@link #AVAILABLE} checks; errno is read with {@link Native#getLastError()} right after a call
 * that failed.
 */
final class LibC {
    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_ROUTE = 0;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVTIMEO = 20;
    static final int SO_SNDTIMEO = 21;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;
    static final int MSG_TRUNC = 0x20;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    static final int CLONE_NEWNET = 0x40000000;
    static final int EINTR = 4;

    /** Whether the binding loaded: 64-bit Linux with a libc JNA can open. */
    static final boolean AVAILABLE;
    /** Why it did not load, when it did not. */
    static final String UNAVAILABLE_REASON;

    static {
        String reason = null;
        if (!Platform.isLinux()) {
            reason = "rtnetlink needs Linux (this is " + System.getProperty("os.name") + ")";
        } else if (Native.POINTER_SIZE != 8 || Native.LONG_SIZE != 8) {
            reason = "the native netlink binding needs a 64-bit JVM";
        } else {
            try {
                Native.register(LibC.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                reason = "libc could not be bound through JNA: " + e.getMessage();
            }
        }
        UNAVAILABLE_REASON = reason;
        AVAILABLE = reason == null;
    }

    private LibC() {
    }

    static native int socket(int domain, int type, int protocol);

    static native int bind(int fd, long addr, int addrlen);

    static native int setsockopt(int fd, int level, int name, long value, int len);

    static native long sendto(int fd, long buf, long len, int flags, long addr, int addrlen);

    static native long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlenPtr);

    static native int close(int fd);

    static native int open(String path, int flags);

    static native int setns(int fd, int nstype);
}
