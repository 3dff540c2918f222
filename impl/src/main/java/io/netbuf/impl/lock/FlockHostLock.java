package io.netbuf.impl.lock;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.LockTimeoutException;
import io.netbuf.OperationFailedException;
import io.netbuf.Validate;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import io.netbuf.spi.HostLock;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host lock shared with Xen's hotplug scripts ({@code locking.sh}'s {@code claim_lock} /
 * {@code release_lock}): an exclusive flock(2) on {@code <dir>/<name>}, taken with the same
 * protocol — open (creating) the file, flock it, check that the open file is still the one at
 * the path (device and inode; a releaser may have removed it meanwhile) and start over if not;
 * release by removing the file while still holding the lock, then closing it.
 *
 * <p>flock(2) locks belong to an open file description, so threads of one JVM would not exclude
 * each other through it alone: a fair per-file semaphore, shared by every instance in the JVM,
 * is taken first. The wait is bounded by polling {@code LOCK_NB} with short, growing sleeps
 * (1 to 20 ms) rather than blocking in flock(2): a blocked native call cannot be cancelled, so a
 * timed-out or interrupted waiter would otherwise leave a thread that may still acquire the
 * lock later and hold it with no owner. Polling costs at most 20 ms of extra latency when the
 * lock is contended.
 *
 * <p>Fairness to Xen's scripts: {@code claim_lock} blocks in flock(1), and when a release removes
 * the file (as Xen's {@code release_lock} does) it wakes up on a stale file and needs two more
 * processes before it can try again, while a netbuf waiter retries within milliseconds; under
 * steady netbuf load a script could wait indefinitely. So netbuf never removes the file at
 * release (the protocol allows that: a claimer checks only that the file it locked is still the
 * one at the path), and a woken process holds a valid lock at once; and netbuf does not overtake a
 * process queued on the lock, as the kernel shows it in {@code /proc/locks}: a netbuf waiter whose
 * {@code LOCK_NB} attempt failed and that sees one queued (or that follows, in this JVM, a release
 * that saw one) stands back while that file is still at the path and unheld, at most
 * {@value #HANDOFF_MILLIS} ms (a queued process may die). The lock table is read only on those
 * contended paths: reading it waits for a grace period of the kernel's file-lock rwsem (5-10 ms on
 * an idle host). Mutual exclusion is the protocol's alone: standing back only delays an
 * acquisition. Where {@code /proc/locks} cannot be read or does not show the other process
 * (another PID namespace),
 * the lock works without this fairness. Thread-safe.
 */
public final class FlockHostLock implements HostLock {
    /** Where Xen's scripts keep their lock files. */
    public static final Path DEFAULT_DIR = Path.of("/var/run/xen-hotplug");

    private static final Logger LOG = LoggerFactory.getLogger(FlockHostLock.class);
    private static final ConcurrentMap<Path, Gate> IN_JVM = new ConcurrentHashMap<>();
    private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long LONGEST_WAIT_NANOS = Long.MAX_VALUE / 4;
    private static final int FILE_MODE = 0644;
    /** How long a waiter stands back for a queued process that was woken but does not hold the lock yet. */
    static final long HANDOFF_MILLIS = 500;
    private static final long HANDOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(HANDOFF_MILLIS);

    private final Path dir;

    /** The lock in {@link #DEFAULT_DIR}, shared with Xen's scripts. */
    public FlockHostLock() {
        this(DEFAULT_DIR);
    }

    /** @param dir the directory of the lock files (created when missing) */
    public FlockHostLock(Path dir) {
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
    }

    /** @return the directory of the lock files */
    public Path dir() {
        return dir;
    }

    @Override
    public Held acquire(String name, Duration timeout) {
        Path file = dir.resolve(validName(name));
        Validate.lockTimeout(timeout);
        long waitNanos = timeout.compareTo(Duration.ofNanos(LONGEST_WAIT_NANOS)) > 0 ? LONGEST_WAIT_NANOS
                : timeout.toNanos();
        long deadline = System.nanoTime() + waitNanos;
        Gate gate = IN_JVM.computeIfAbsent(file, f -> new Gate());
        try {
            if (!gate.permit.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
                throw new LockTimeoutException(file.toString(), timeout, null);
            }
        } catch (InterruptedException e) {
            throw interrupted(file, e);
        }
        try {
            int fd = lockFile(file, gate, deadline, timeout);
            LOG.debug("took host lock {}", file);
            return new FileLock(file, fd, gate);
        } catch (RuntimeException | Error e) {
            gate.permit.release();
            throw e;
        }
    }

    private int lockFile(Path file, Gate gate, long deadline, Duration timeout) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw OperationFailedException.of("create lock directory " + dir, e.toString(), null, null, e);
        }
        long pause = MIN_POLL_NANOS;
        // Starts with the hand-off of this JVM's previous holder, if it saw a process queued.
        StandBack back = gate.handoff;
        while (true) {
            int fd = open(file);
            boolean keep = false;
            try {
                ProcLocks.Incarnation opened = null;
                while (true) {
                    if (back != null && !back.stillDue(file)) {
                        back = null;
                    }
                    if (back == null && tryFlock(fd, file)) {
                        break;
                    }
                    if (opened == null) {
                        opened = idOf(fd, file);
                    }
                    StandBack queued = standBackIfQueued(opened, file);
                    if (queued != null) {
                        back = queued;
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new LockTimeoutException(file.toString(), timeout, null);
                    }
                    sleep(Math.min(back != null ? MIN_POLL_NANOS : pause, left), file);
                    pause = Math.min(pause * 2, MAX_POLL_NANOS);
                }
                if (isAt(fd, file)) {
                    keep = true;
                    return fd;
                }
                LOG.debug("host lock file {} was replaced while we waited; trying again", file);
                if (deadline - System.nanoTime() <= 0) {
                    throw new LockTimeoutException(file.toString(), timeout, null);
                }
            } finally {
                if (!keep) {
                    close(fd, file);
                }
            }
        }
    }

    private static int open(Path file) {
        try {
            int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, FILE_MODE);
            if (fd < 0) {
                int errno = Libc.errno();
                throw OperationFailedException.ofErrno("open host lock file " + file, errno, describe(errno),
                        null, null);
            }
            return fd;
        } catch (LinkageError e) {
            throw OperationFailedException.of("open host lock file " + file,
                    "flock(2) through JNA is unavailable: " + e, null, null, e);
        }
    }

    /** @return true when the exclusive lock was taken, false when someone else holds it */
    private static boolean tryFlock(int fd, Path file) {
        while (true) {
            if (Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0) {
                return true;
            }
            int errno = Libc.errno();
            if (errno == Errno.EWOULDBLOCK) {
                return false;
            }
            if (errno != Errno.EINTR) {
                throw OperationFailedException.ofErrno("flock host lock file " + file, errno, describe(errno),
                        null, null);
            }
        }
    }

    /**
     * @param opened the lock file as opened (null when unknown)
     * @param path its path
     * @return a deference to the processes queued on {@code opened}, or null when none is (or the
     *     kernel's lock table cannot tell)
     */
    private static StandBack standBackIfQueued(ProcLocks.Incarnation opened, Path path) {
        ProcLocks.State queue = opened == null ? null : stateOf(opened.id(), path);
        return queue != null && queue.blocked() > 0 ? new StandBack(opened, System.nanoTime() + HANDOFF_NANOS) : null;
    }

    /** @return what the open file {@code fd} is, or null when it cannot be stat'ed (no procfs) */
    private static ProcLocks.Incarnation idOf(int fd, Path file) {
        try {
            return ProcLocks.Incarnation.of(Path.of("/proc/self/fd/" + fd));
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot identify the open host lock file {}: {}", file, e.toString());
            return null;
        }
    }

    /**
     * @return the flock state of {@code id} in {@code /proc/locks}, or null when it cannot be read
     *     (the lock then works without fairness to queued processes)
     */
    private static ProcLocks.State stateOf(ProcLocks.FileId id, Path file) {
        try {
            return ProcLocks.of(id);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot see who waits for host lock {} in {}: {}", file, ProcLocks.TABLE, e.toString());
            return null;
        }
    }

    /** Whether the open file {@code fd} is still the file at {@code path} (same device and inode). */
    private static boolean isAt(int fd, Path path) {
        try {
            // stat(2) of /proc/self/fd/N reaches the open file itself, even when it was unlinked.
            Object open = Files.readAttributes(Path.of("/proc/self/fd/" + fd), BasicFileAttributes.class).fileKey();
            Object linked = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            return open != null && open.equals(linked);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            throw OperationFailedException.of("check host lock file " + path, e.toString(), null, null, e);
        }
    }

    private static void close(int fd, Path file) {
        if (Libc.close(fd) != 0) {
            LOG.warn("could not close host lock file {} (fd {}): {}", file, fd, describe(Libc.errno()));
        }
    }

    /** @return {@code [errno] description}, the description from strerror(3) */
    private static String describe(int errno) {
        return "[" + errno + "] " + Errno.strerror(errno);
    }

    private static void sleep(long nanos, Path file) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            throw interrupted(file, e);
        }
    }

    private static OperationFailedException interrupted(Path file, InterruptedException e) {
        Thread.currentThread().interrupt();
        return OperationFailedException.of("take host lock " + file, "interrupted while waiting", null, null, e);
    }

    private static String validName(String name) {
        if (name == null || name.isEmpty() || name.equals(".") || name.equals("..") || name.length() > 255) {
            throw InvalidConfigurationException.of("lock name", name,
                    "must be a file name of 1 to 255 characters, not '.' or '..'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '_' || c == '-';
            if (!ok) {
                throw InvalidConfigurationException.of("lock name", name, "may only contain A-Za-z0-9._-");
            }
        }
        return name;
    }

    /**
     * A waiter's deference to processes it saw queued (blocked in flock(2)) on the lock file
     * {@code file}: they were woken by a release and go first. It ends once one of them holds the
     * file, once the file is no longer the one at the path (its holder released it: they had their
     * turn, or were woken on a stale file and compete like anyone), or at {@code until}
     * ({@link System#nanoTime}; a queued process may die).
     */
    private record StandBack(ProcLocks.Incarnation file, long until) {
        boolean stillDue(Path path) {
            if (until - System.nanoTime() <= 0) {
                return false;
            }
            try {
                if (!file.equals(ProcLocks.Incarnation.of(path))) {
                    return false;
                }
            } catch (IOException | RuntimeException e) {
                return false;
            }
            ProcLocks.State state = stateOf(file.id(), path);
            return state != null && !state.held();
        }
    }

    /** What the JVM's users of one lock file share: one permit, and the last holder's hand-off. */
    private static final class Gate {
        final Semaphore permit = new Semaphore(1, true);
        /** Set by a releaser that handed the lock to queued processes: the next holder stands back. */
        volatile StandBack handoff;
    }

    /** A held lock: the open, flocked file and the in-JVM permit. */
    private static final class FileLock implements Held {
        private final Path file;
        private final int fd;
        private final Gate gate;
        private final AtomicBoolean released = new AtomicBoolean();

        FileLock(Path file, int fd, Gate gate) {
            this.file = file;
            this.fd = fd;
            this.gate = gate;
        }

        @Override
        public void close() {
            if (!released.compareAndSet(false, true)) {
                return;
            }
            try {
                // The file stays where it is (Xen's release_lock removes it; the protocol does not
                // require that): a process queued on it wakes up holding a valid lock, where a
                // removed file would send it back to the start while netbuf raced ahead. Reading
                // the kernel's lock table costs a grace period of its file-lock rwsem and stalls
                // every file lock on the host meanwhile, so only a release with a waiter in this
                // JVM looks for queued processes, to make that waiter stand back for them.
                if (gate.permit.hasQueuedThreads()) {
                    StandBack queued = standBackIfQueued(idOf(fd, file), file);
                    if (queued != null) {
                        gate.handoff = queued;
                        LOG.debug("handing host lock {} to the process(es) queued on it", file);
                    }
                }
            } finally {
                FlockHostLock.close(fd, file);
                gate.permit.release();
                LOG.debug("released host lock {}", file);
            }
        }

        @Override
        public String toString() {
            return "host lock " + file + (released.get() ? " (released)" : " (held)");
        }
    }
}
