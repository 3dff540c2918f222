package io.netbuf.impl.lock;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;

/**
 * The few libc calls the host lock needs, called through JNA {@link Function} handles bound on
 * first use. A call returns what libc returns ({@code -1} on failure); {@link #errno()} tells why.
 *
 * <p>Not a JNA interface proxy ({@code Native.load}): generating the proxy class costs a
 * short-lived process (a hotplug call) several milliseconds.
 */
final class LibC {
    /** {@code O_RDWR}. */
    static final int O_RDWR = 0x2;
    /** {@code O_CREAT} (Linux generic: x86, arm, arm64, riscv, ...). */
    static final int O_CREAT = 0x40;
    /** {@code O_CLOEXEC} (Linux generic), so no child process inherits the lock. */
    static final int O_CLOEXEC = 0x80000;
    /** {@code LOCK_EX}. */
    static final int LOCK_EX = 2;
    /** {@code LOCK_NB}. */
    static final int LOCK_NB = 4;
    /** {@code EINTR}. */
    static final int EINTR = 4;
    /** {@code EWOULDBLOCK} / {@code EAGAIN}. */
    static final int EWOULDBLOCK = 11;

    private static final NativeLibrary C = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
    private static final Function OPEN = C.getFunction("open");
    private static final Function FLOCK = C.getFunction("flock");
    private static final Function CLOSE = C.getFunction("close");

    private LibC() {
    }

    /**
     * open(2).
     *
     * @param path the file
     * @param flags open flags
     * @param mode permissions for a created file
     * @return the file descriptor, or -1
     */
    static int open(String path, int flags, int mode) {
        return OPEN.invokeInt(new Object[] {path, flags, mode});
    }

    /**
     * flock(2).
     *
     * @param fd an open file descriptor
     * @param operation {@code LOCK_EX}, {@code LOCK_NB}, ...
     * @return 0, or -1
     */
    static int flock(int fd, int operation) {
        return FLOCK.invokeInt(new Object[] {fd, operation});
    }

    /**
     * close(2).
     *
     * @param fd the descriptor
     * @return 0, or -1
     */
    static int close(int fd) {
        return CLOSE.invokeInt(new Object[] {fd});
    }

    /** @return errno of this thread's last call that failed */
    static int errno() {
        return Native.getLastError();
    }

    /**
     * @param errno an error number
     * @return {@code [errno] description}, the description from strerror(3)
     */
    static String describe(int errno) {
        return "[" + errno + "] " + C.getFunction("strerror").invokeString(new Object[] {errno}, false);
    }
}
