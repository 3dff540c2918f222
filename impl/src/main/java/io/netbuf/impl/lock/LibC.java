package io.netbuf.impl.lock;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;

/** The few libc calls the host lock needs, bound through JNA on first use. */
interface LibC extends Library {
    /** {@code O_RDWR}. */
    int O_RDWR = 0x2;
    /** {@code O_CREAT} (Linux generic: x86, arm, arm64, riscv, ...). */
    int O_CREAT = 0x40;
    /** {@code O_CLOEXEC} (Linux generic), so no child process inherits the lock. */
    int O_CLOEXEC = 0x80000;
    /** {@code LOCK_EX}. */
    int LOCK_EX = 2;
    /** {@code LOCK_NB}. */
    int LOCK_NB = 4;
    /** {@code EINTR}. */
    int EINTR = 4;
    /** {@code EWOULDBLOCK} / {@code EAGAIN}. */
    int EWOULDBLOCK = 11;

    /** The bound library. */
    LibC INSTANCE = Native.load("c", LibC.class);

    /**
     * open(2).
     *
     * @param path the file
     * @param flags open flags
     * @param mode permissions for a created file
     * @return the file descriptor
     * @throws LastErrorException with errno on failure
     */
    int open(String path, int flags, int mode) throws LastErrorException;

    /**
     * flock(2).
     *
     * @param fd an open file descriptor
     * @param operation {@code LOCK_EX}, {@code LOCK_NB}, ...
     * @return 0
     * @throws LastErrorException with errno on failure
     */
    int flock(int fd, int operation) throws LastErrorException;

    /**
     * close(2).
     *
     * @param fd the descriptor
     * @return 0
     * @throws LastErrorException with errno on failure
     */
    int close(int fd) throws LastErrorException;
}
