package io.netbuf.impl.netlink;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import io.netbuf.impl.libc.LibcFunctions;

/**
 * The few libc calls the netlink socket needs, called through JNA {@link Function} handles. Every
 * argument is an int or a long (pointers and sizes as {@code long}), which limits this binding to
 * 64-bit Linux, checked by {@link #AVAILABLE}; errno is read with {@link Native#getLastError()}
 * right after a call that failed.
 *
 * <p>Calls start on {@link Function} handles, not on JNA direct mapping ({@code Native.register}):
 * registering builds JNA's FFI type structures, whose annotation reading generates proxy classes
 * at run time, about 15 ms of every short-lived process (a hotplug call). A handle call boxes its
 * arguments, though, so after {@value #DIRECT_AFTER_CALLS} sends and receives the two calls of
 * every request switch to direct mapping, which allocates nothing per call: a long-lived user
 * (checkpoints many times a second) pays the registration once and then runs allocation-free.
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

    /** Sends and receives made through handles before switching to direct mapping. */
    static final int DIRECT_AFTER_CALLS = 256;

    private static final Function SOCKET;
    private static final Function BIND;
    private static final Function SETSOCKOPT;
    private static final Function SENDTO;
    private static final Function RECVFROM;
    private static final Function CLOSE;
    private static final Function OPEN;
    private static final Function SETNS;

    static {
        LibcFunctions libc = LibcFunctions.bind("rtnetlink", "socket", "bind", "setsockopt", "sendto", "recvfrom",
                "close", "open", "setns");
        SOCKET = libc.function(0);
        BIND = libc.function(1);
        SETSOCKOPT = libc.function(2);
        SENDTO = libc.function(3);
        RECVFROM = libc.function(4);
        CLOSE = libc.function(5);
        OPEN = libc.function(6);
        SETNS = libc.function(7);
        UNAVAILABLE_REASON = libc.unavailableReason();
        AVAILABLE = UNAVAILABLE_REASON == null;
    }

    private static int handleCalls;
    private static volatile boolean direct;

    private LibC() {
    }

    static int socket(int domain, int type, int protocol) {
        return SOCKET.invokeInt(new Object[] {domain, type, protocol});
    }

    static int bind(int fd, long addr, int addrlen) {
        return BIND.invokeInt(new Object[] {fd, addr, addrlen});
    }

    static int setsockopt(int fd, int level, int name, long value, int len) {
        return SETSOCKOPT.invokeInt(new Object[] {fd, level, name, value, len});
    }

    static long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) {
        if (direct || switchedToDirect()) {
            return Direct.sendto(fd, buf, len, flags, addr, addrlen);
        }
        return SENDTO.invokeLong(new Object[] {fd, buf, len, flags, addr, addrlen});
    }

    static long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlenPtr) {
        if (direct || switchedToDirect()) {
            return Direct.recvfrom(fd, buf, len, flags, addr, addrlenPtr);
        }
        return RECVFROM.invokeLong(new Object[] {fd, buf, len, flags, addr, addrlenPtr});
    }

    /** Counts a handle call; past the threshold, binds the direct mapping (once) and says so. */
    private static boolean switchedToDirect() {
        synchronized (LibC.class) {
            if (direct) {
                return true;
            }
            if (++handleCalls <= DIRECT_AFTER_CALLS) {
                return false;
            }
            try {
                Direct.bind();
                direct = true;
            } catch (LinkageError | RuntimeException e) {
                // stay on the handles, which work; retry no more
                handleCalls = Integer.MIN_VALUE;
            }
            return direct;
        }
    }

    /** sendto and recvfrom through JNA direct mapping: primitives only, nothing allocated per call. */
    private static final class Direct {
        static {
            Native.register(Direct.class, NativeLibrary.getInstance(Platform.C_LIBRARY_NAME));
        }

        private Direct() {
        }

        /** Runs the static initialiser, which registers the methods. */
        static void bind() {
            // nothing else to do
        }

        static native long sendto(int fd, long buf, long len, int flags, long addr, int addrlen);

        static native long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlenPtr);
    }

    static int close(int fd) {
        return CLOSE.invokeInt(new Object[] {fd});
    }

    static int open(String path, int flags) {
        return OPEN.invokeInt(new Object[] {path, flags});
    }

    static int setns(int fd, int nstype) {
        return SETNS.invokeInt(new Object[] {fd, nstype});
    }
}
