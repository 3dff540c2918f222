package io.netbuf.impl.libc;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The libc calls of netbuf's native parts (the rtnetlink socket, the XenStore unix socket, the
 * host lock) and the constants they take. A call returns what libc returns ({@code -1} on
 * failure); {@link #errno()} tells why, and {@link Errno} names it. 64-bit Linux only: where libc
 * cannot be bound, {@link #unavailableReason()} says why and every call throws
 * {@link UnsatisfiedLinkError}.
 *
 * <p>Calls start on JNA {@link Function} handles, not on direct mapping ({@code Native.register}):
 * registering builds JNA's FFI type structures, whose annotation reading generates proxy classes
 * at run time, about 15 ms of every short-lived process (a hotplug call). A handle call boxes its
 * arguments, though, so after {@value #DIRECT_AFTER_CALLS} calls of {@link #sendto} and
 * {@link #recvfrom} (the two calls of every rtnetlink request) both switch to direct mapping,
 * which allocates nothing per call: a long-lived user (checkpoints many times a second) pays the
 * registration once and then runs allocation-free.
 */
public final class Libc {
    /** {@code AF_UNIX}. */
    public static final int AF_UNIX = 1;
    /** {@code AF_NETLINK}. */
    public static final int AF_NETLINK = 16;
    /** {@code SOCK_STREAM}. */
    public static final int SOCK_STREAM = 1;
    /** {@code SOCK_DGRAM}. */
    public static final int SOCK_DGRAM = 2;
    /** {@code SOCK_RAW}. */
    public static final int SOCK_RAW = 3;
    /** {@code SOCK_CLOEXEC}. */
    public static final int SOCK_CLOEXEC = 0x80000;
    /** {@code NETLINK_ROUTE}. */
    public static final int NETLINK_ROUTE = 0;
    /** {@code SOL_SOCKET}. */
    public static final int SOL_SOCKET = 1;
    /** {@code SO_RCVTIMEO}. */
    public static final int SO_RCVTIMEO = 20;
    /** {@code SO_SNDTIMEO}. */
    public static final int SO_SNDTIMEO = 21;
    /** {@code SOL_NETLINK}. */
    public static final int SOL_NETLINK = 270;
    /** {@code NETLINK_CAP_ACK}. */
    public static final int NETLINK_CAP_ACK = 10;
    /** {@code NETLINK_EXT_ACK}. */
    public static final int NETLINK_EXT_ACK = 11;
    /** {@code MSG_TRUNC}. */
    public static final int MSG_TRUNC = 0x20;
    /** {@code MSG_DONTWAIT}: fail with EAGAIN instead of blocking. */
    public static final int MSG_DONTWAIT = 0x40;
    /** {@code SHUT_RDWR}. */
    public static final int SHUT_RDWR = 2;
    /** {@code O_RDONLY}. */
    public static final int O_RDONLY = 0;
    /** {@code O_RDWR}. */
    public static final int O_RDWR = 0x2;
    /** {@code O_CREAT} (Linux generic: x86, arm, arm64, riscv, ...). */
    public static final int O_CREAT = 0x40;
    /** {@code O_EXCL} (Linux generic). */
    public static final int O_EXCL = 0x80;
    /** {@code O_NOCTTY} (Linux generic). */
    public static final int O_NOCTTY = 0x100;
    /** {@code O_CLOEXEC} (Linux generic), so no child process inherits the descriptor. */
    public static final int O_CLOEXEC = 0x80000;
    /**
     * {@code O_NOFOLLOW}: open fails with {@code ELOOP} when the last component is a symbolic link.
     * Its value differs between architectures (0x8000 on arm, arm64 and powerpc, 0x20000 elsewhere).
     */
    public static final int O_NOFOLLOW = Platform.isARM() || Platform.isPPC() ? 0x8000 : 0x20000;
    /** {@code AT_FDCWD}: a *at(2) call's path is taken as given (absolute) or from the working directory. */
    public static final int AT_FDCWD = -100;
    /** {@code RENAME_EXCHANGE}: renameat2(2) swaps the two names atomically. */
    public static final int RENAME_EXCHANGE = 2;
    /** {@code CLONE_NEWNET}. */
    public static final int CLONE_NEWNET = 0x40000000;
    /** {@code LOCK_EX}. */
    public static final int LOCK_EX = 2;
    /** {@code LOCK_NB}. */
    public static final int LOCK_NB = 4;

    /** Calls of {@link #sendto} and {@link #recvfrom} made through handles before switching to direct mapping. */
    public static final int DIRECT_AFTER_CALLS = 256;

    private static final Function SOCKET;
    private static final Function BIND;
    private static final Function CONNECT;
    private static final Function SETSOCKOPT;
    private static final Function SENDTO;
    private static final Function RECVFROM;
    private static final Function READ;
    private static final Function WRITE;
    private static final Function SHUTDOWN;
    private static final Function CLOSE;
    private static final Function OPEN;
    private static final Function SETNS;
    private static final Function FLOCK;
    private static final Function FCHMOD;
    private static final Function RENAMEAT2;
    private static final Function GETEUID;
    private static final Function STRERROR;
    private static final String UNAVAILABLE_REASON;

    static {
        LibcFunctions libc = LibcFunctions.bind("netbuf's native backends", "socket", "bind", "connect",
                "setsockopt", "sendto", "recvfrom", "read", "write", "shutdown", "close", "open", "setns", "flock",
                "fchmod", "renameat2", "geteuid", "strerror");
        SOCKET = libc.function(0);
        BIND = libc.function(1);
        CONNECT = libc.function(2);
        SETSOCKOPT = libc.function(3);
        SENDTO = libc.function(4);
        RECVFROM = libc.function(5);
        READ = libc.function(6);
        WRITE = libc.function(7);
        SHUTDOWN = libc.function(8);
        CLOSE = libc.function(9);
        OPEN = libc.function(10);
        SETNS = libc.function(11);
        FLOCK = libc.function(12);
        FCHMOD = libc.function(13);
        RENAMEAT2 = libc.function(14);
        GETEUID = libc.function(15);
        STRERROR = libc.function(16);
        UNAVAILABLE_REASON = libc.unavailableReason();
    }

    private static int handleCalls;
    private static volatile boolean direct;

    private Libc() {
    }

    /** @return why libc cannot be called here (not 64-bit Linux, no libc JNA can open), or null when it can */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }

    /** @return errno of this thread's last call that failed */
    public static int errno() {
        return Native.getLastError();
    }

    /**
     * socket(2).
     *
     * @param domain e.g. {@link #AF_NETLINK}
     * @param type e.g. {@link #SOCK_RAW} | {@link #SOCK_CLOEXEC}
     * @param protocol e.g. {@link #NETLINK_ROUTE}
     * @return the descriptor, or -1
     */
    public static int socket(int domain, int type, int protocol) {
        return bound(SOCKET).invokeInt(new Object[] {domain, type, protocol});
    }

    /**
     * bind(2).
     *
     * @param fd a socket
     * @param addr the address of the native socket address
     * @param addrlen its size
     * @return 0, or -1
     */
    public static int bind(int fd, long addr, int addrlen) {
        return bound(BIND).invokeInt(new Object[] {fd, addr, addrlen});
    }

    /**
     * connect(2).
     *
     * @param fd a socket
     * @param addr the address of the native socket address
     * @param addrlen its size
     * @return 0, or -1
     */
    public static int connect(int fd, long addr, int addrlen) {
        return bound(CONNECT).invokeInt(new Object[] {fd, addr, addrlen});
    }

    /**
     * setsockopt(2).
     *
     * @param fd a socket
     * @param level e.g. {@link #SOL_SOCKET}
     * @param name e.g. {@link #SO_RCVTIMEO}
     * @param value the address of the native value
     * @param len its size
     * @return 0, or -1
     */
    public static int setsockopt(int fd, int level, int name, long value, int len) {
        return bound(SETSOCKOPT).invokeInt(new Object[] {fd, level, name, value, len});
    }

    /**
     * sendto(2); allocation-free once it runs on direct mapping.
     *
     * @param fd a socket
     * @param buf the address of the bytes to send
     * @param len how many
     * @param flags send flags
     * @param addr the address of the destination's socket address, or 0
     * @param addrlen its size, or 0
     * @return the bytes sent, or -1
     */
    public static long sendto(int fd, long buf, long len, int flags, long addr, int addrlen) {
        if (direct || switchedToDirect()) {
            return Direct.sendto(fd, buf, len, flags, addr, addrlen);
        }
        return bound(SENDTO).invokeLong(new Object[] {fd, buf, len, flags, addr, addrlen});
    }

    /**
     * recvfrom(2); allocation-free once it runs on direct mapping.
     *
     * @param fd a socket
     * @param buf the address of the receive buffer
     * @param len its size
     * @param flags receive flags, e.g. {@link #MSG_TRUNC}
     * @param addr the address of a socket address for the sender, or 0
     * @param addrlenPtr the address of its size, or 0
     * @return the bytes received (the whole datagram's size with {@link #MSG_TRUNC}), or -1
     */
    public static long recvfrom(int fd, long buf, long len, int flags, long addr, long addrlenPtr) {
        if (direct || switchedToDirect()) {
            return Direct.recvfrom(fd, buf, len, flags, addr, addrlenPtr);
        }
        return bound(RECVFROM).invokeLong(new Object[] {fd, buf, len, flags, addr, addrlenPtr});
    }

    /**
     * read(2).
     *
     * @param fd a descriptor
     * @param buf the address to read to
     * @param count at most this many bytes
     * @return the bytes read (0 at the end), or -1
     */
    public static long read(int fd, long buf, long count) {
        return bound(READ).invokeLong(new Object[] {fd, buf, count});
    }

    /**
     * write(2).
     *
     * @param fd a descriptor
     * @param buf the address of the bytes to write
     * @param count how many
     * @return the bytes written, or -1
     */
    public static long write(int fd, long buf, long count) {
        return bound(WRITE).invokeLong(new Object[] {fd, buf, count});
    }

    /**
     * shutdown(2).
     *
     * @param fd a socket
     * @param how e.g. {@link #SHUT_RDWR}
     * @return 0, or -1
     */
    public static int shutdown(int fd, int how) {
        return bound(SHUTDOWN).invokeInt(new Object[] {fd, how});
    }

    /**
     * close(2).
     *
     * @param fd the descriptor
     * @return 0, or -1
     */
    public static int close(int fd) {
        return bound(CLOSE).invokeInt(new Object[] {fd});
    }

    /**
     * open(2).
     *
     * @param path the file
     * @param flags e.g. {@link #O_RDWR} | {@link #O_CLOEXEC}
     * @param mode permissions for a created file (ignored without {@link #O_CREAT})
     * @return the descriptor, or -1
     */
    public static int open(String path, int flags, int mode) {
        return bound(OPEN).invokeInt(new Object[] {path, flags, mode});
    }

    /**
     * setns(2).
     *
     * @param fd a namespace's descriptor
     * @param nstype e.g. {@link #CLONE_NEWNET}
     * @return 0, or -1
     */
    public static int setns(int fd, int nstype) {
        return bound(SETNS).invokeInt(new Object[] {fd, nstype});
    }

    /**
     * flock(2).
     *
     * @param fd an open file descriptor
     * @param operation {@link #LOCK_EX}, {@link #LOCK_NB}, ...
     * @return 0, or -1
     */
    public static int flock(int fd, int operation) {
        return bound(FLOCK).invokeInt(new Object[] {fd, operation});
    }

    /**
     * fchmod(2).
     *
     * @param fd an open file descriptor
     * @param mode the permission bits, e.g. {@code 0600}
     * @return 0, or -1
     */
    public static int fchmod(int fd, int mode) {
        return bound(FCHMOD).invokeInt(new Object[] {fd, mode});
    }

    /**
     * renameat2(2) with absolute paths (glibc 2.28 or later).
     *
     * @param from the name to move
     * @param to its new name
     * @param flags e.g. {@link #RENAME_EXCHANGE}, or 0 for rename(2)
     * @return 0, or -1
     */
    public static int renameat2(String from, String to, int flags) {
        return bound(RENAMEAT2).invokeInt(new Object[] {AT_FDCWD, from, AT_FDCWD, to, flags});
    }

    /** @return the effective user id of this process, geteuid(2) */
    public static int geteuid() {
        return bound(GETEUID).invokeInt(new Object[0]);
    }

    /**
     * strerror(3).
     *
     * @param errno an error number
     * @return libc's description of it
     */
    static String strerror(int errno) {
        return bound(STRERROR).invokeString(new Object[] {errno}, false);
    }

    private static Function bound(Function function) {
        if (function == null) {
            throw new UnsatisfiedLinkError(UNAVAILABLE_REASON);
        }
        return function;
    }

    /** Counts a handle call; past the threshold, binds the direct mapping (once) and says so. */
    private static boolean switchedToDirect() {
        synchronized (Libc.class) {
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

    /** @return whether {@link #sendto} and {@link #recvfrom} run on direct mapping yet */
    static boolean isDirect() {
        return direct;
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
}
