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
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
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
 * the lock works without this fairness.
 *
 * <p>Only root can hold the lock. flock(2) works on a descriptor opened read-only, so whoever can
 * open the file can hold it and block Xen's scripts and netbuf: netbuf's lock file is a regular
 * file owned by root with mode 0600, opened with {@code O_NOFOLLOW} in a directory that nobody
 * but root can change ({@link LockDirectory}; anything else is refused with an
 * {@link OperationFailedException}). A lock file that others can open ("exposed": Xen's
 * {@code claim_lock} creates it 0644, or it was found so) is replaced by a fresh private one: a
 * temporary file created 0600 and flocked in the same directory, swapped with the file at the
 * path in one atomic step. That is the protocol's own case of a file replaced under a waiter: a
 * process that locks the old file afterwards finds it no longer at the path and starts over on
 * the new one (root's scripts can open it, others cannot), so one holding the old file blocks
 * nobody. The swap is done
 * <ul>
 * <li>under the lock, when netbuf takes the exposed file: the lock holder may replace it;</li>
 * <li>without it, when the exposed file stays held (looked up after {@value #HOLDER_LOOKUP_MILLIS}
 *     ms, then less and less often) and every process holding it ({@link FlockHolders}) runs without root:
 *     none of them can hold the lock lawfully. A root process may still have taken the file
 *     lawfully between that look and the swap; so the new lock counts only once no root process
 *     holds the displaced file (if that one's release removed the path, netbuf starts over).</li>
 * </ul>
 * An exposed file held by root, or by holders netbuf cannot see, is waited for as always. A waiter
 * whose file is no longer at the path starts over at once: whoever holds that file no longer holds
 * the lock. Thread-safe.
 */
public final class FlockHostLock implements HostLock {
    /** Where Xen's scripts keep their lock files. */
    public static final Path DEFAULT_DIR = Path.of("/var/run/xen-hotplug");

    private static final Logger LOG = LoggerFactory.getLogger(FlockHostLock.class);
    private static final ConcurrentMap<Path, Gate> IN_JVM = new ConcurrentHashMap<>();
    private static final long MIN_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long MAX_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final long LONGEST_WAIT_NANOS = Long.MAX_VALUE / 4;
    /** The lock file's mode: only its owner, root, can open it, so only root can hold the lock. */
    private static final int FILE_MODE = 0600;
    private static final int OPEN_FLAGS = Libc.O_RDWR | Libc.O_NOFOLLOW | Libc.O_CLOEXEC | Libc.O_NOCTTY;
    /**
     * How long an exposed lock file may stay held before its holders are looked up (a walk of
     * {@code /proc}, 10-30 ms); the next look comes twice as late, up to every 2 s.
     */
    static final long HOLDER_LOOKUP_MILLIS = 250;
    private static final long HOLDER_LOOKUP_NANOS = TimeUnit.MILLISECONDS.toNanos(HOLDER_LOOKUP_MILLIS);
    private static final long MAX_HOLDER_LOOKUP_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static volatile int effectiveUid = -1;
    /** How long a waiter stands back for a queued process that was woken but does not hold the lock yet. */
    static final long HANDOFF_MILLIS = 500;
    private static final long HANDOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(HANDOFF_MILLIS);

    private final Path dir;
    private final HolderView holders;

    /** The lock in {@link #DEFAULT_DIR}, shared with Xen's scripts. */
    public FlockHostLock() {
        this(DEFAULT_DIR);
    }

    /** @param dir the directory of the lock files (created when missing; it must be root's, see the class comment) */
    public FlockHostLock(Path dir) {
        this(dir, FlockHolders::of);
    }

    /**
     * @param dir the directory of the lock files
     * @param holders who holds an flock on a file (a test may stand in for {@code /proc})
     */
    FlockHostLock(Path dir, HolderView holders) {
        this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath().normalize();
        this.holders = Objects.requireNonNull(holders, "holders");
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
            LockDirectory.prepare(dir, FlockHostLock::trusted);
            return lockFileIn(file, gate, deadline, timeout);
        } catch (LinkageError e) {
            throw OperationFailedException.of("take host lock " + file,
                    "flock(2) through JNA is unavailable: " + e, null, null, e);
        }
    }

    private int lockFileIn(Path file, Gate gate, long deadline, Duration timeout) {
        long pause = MIN_POLL_NANOS;
        // Starts with the hand-off of this JVM's previous holder, if it saw a process queued.
        StandBack back = gate.handoff;
        while (true) {
            int fd = open(file);
            boolean keep = false;
            try {
                LockFile opened = LockFile.of(fd, file);
                long lookEvery = HOLDER_LOOKUP_NANOS;
                long lookAt = System.nanoTime() + lookEvery;
                boolean locked = false;
                while (true) {
                    if (back != null && !back.stillDue(file)) {
                        back = null;
                    }
                    if (back == null && tryFlock(fd, file)) {
                        locked = true;
                        break;
                    }
                    if (!isAt(fd, file)) {
                        // released (Xen's release_lock removes the file) or replaced: whoever holds
                        // this one no longer holds the lock, and cannot keep us waiting on it
                        break;
                    }
                    if (opened.exposed() && System.nanoTime() - lookAt >= 0) {
                        lookEvery = Math.min(lookEvery * 2, MAX_HOLDER_LOOKUP_NANOS);
                        lookAt = System.nanoTime() + lookEvery;
                        if (heldOnlyByUntrusted(opened, file)) {
                            int fresh = replace(file, opened, false, deadline, timeout);
                            if (fresh >= 0) {
                                return fresh;
                            }
                            break;
                        }
                    }
                    StandBack queued = standBackIfQueued(opened.incarnation(), file);
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
                if (locked && isAt(fd, file)) {
                    if (!opened.exposed()) {
                        keep = true;
                        return fd;
                    }
                    // We are the lock holder: the protocol lets us replace the file.
                    int fresh = replace(file, opened, true, deadline, timeout);
                    if (fresh >= 0) {
                        return fresh;
                    }
                }
                LOG.debug("host lock file {} was replaced or removed while we waited; trying again", file);
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

    /**
     * Opens (creating, private) the lock file, following no symbolic link.
     *
     * @throws OperationFailedException when something other than a regular file is at the path
     */
    private static int open(Path file) {
        try {
            int mode = (Integer) Files.readAttributes(file, "unix:mode", LinkOption.NOFOLLOW_LINKS).get("mode");
            int type = mode & LockDirectory.S_IFMT;
            if (type == LockDirectory.S_IFLNK) {
                throw symbolicLink(file);
            }
            if (type != LockDirectory.S_IFREG) {
                throw OperationFailedException.of("open host lock file " + file, "it is not a regular file (a "
                        + "directory, FIFO, socket or device); netbuf uses only a regular file there (remove it)",
                        null, null, null);
            }
        } catch (NoSuchFileException e) {
            // created below
        } catch (IOException e) {
            throw OperationFailedException.of("open host lock file " + file, e.toString(), null, null, e);
        }
        int fd = Libc.open(file.toString(), OPEN_FLAGS | Libc.O_CREAT, FILE_MODE);
        if (fd < 0) {
            int errno = Libc.errno();
            throw errno == Errno.ELOOP ? symbolicLink(file)
                    : OperationFailedException.ofErrno("open host lock file " + file, errno, describe(errno), null,
                            null);
        }
        return fd;
    }

    private static OperationFailedException symbolicLink(Path file) {
        return OperationFailedException.ofErrno("open host lock file " + file, Errno.ELOOP, "it is a symbolic link; "
                + "netbuf follows none at the lock path (remove it, and find out who put it there)", null, null);
    }

    /**
     * Whether an exposed lock file is held only by processes of untrusted users: they cannot hold
     * the lock lawfully (a lawful holder runs as root), so the file may be replaced under them.
     */
    private boolean heldOnlyByUntrusted(LockFile opened, Path file) {
        FlockHolders.Holders seen = holdersOf(opened.incarnation().id(), file);
        if (seen == null || !seen.onlyUntrusted(FlockHostLock::trusted)) {
            return false;
        }
        LOG.warn("host lock file {} ({}) is held only by unprivileged process(es) {}: replacing it with a private "
                + "one (mode 0600)", file, opened, seen.all());
        return true;
    }

    /** @return who holds an flock on {@code id} now, or null when that cannot be seen */
    private FlockHolders.Holders holdersOf(ProcLocks.FileId id, Path file) {
        try {
            return holders.of(id);
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot see who holds host lock file {}: {}", file, e.toString());
            return null;
        }
    }

    /**
     * Puts a fresh private lock file, locked by us, at {@code file} in place of {@code opened}: a
     * temporary file (mode 0600) created and flocked in the same directory, then swapped with the
     * file at the path in one step (renameat2 {@code RENAME_EXCHANGE}, which tells what it
     * displaced), the displaced file unlinked. A process that locks the displaced file afterwards
     * finds it no longer at the path and starts over, as the protocol says. Without the lock on
     * the displaced file ({@code holding} false: its holders are untrusted), a trusted process
     * may have taken it lawfully just before the swap: the new lock counts only once no trusted
     * process holds the displaced file any more.
     *
     * @param holding whether we hold the lock on {@code opened} (and it was at the path)
     * @return the descriptor of the new file, locked and at the path; or -1 to start over
     */
    private int replace(Path file, LockFile opened, boolean holding, long deadline, Duration timeout) {
        Path temp = null;
        int fresh = -1;
        boolean keep = false;
        try {
            for (int attempt = 0; fresh < 0; attempt++) {
                Path name = dir.resolve(".netbuf-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
                fresh = Libc.open(name.toString(), OPEN_FLAGS | Libc.O_CREAT | Libc.O_EXCL, FILE_MODE);
                if (fresh >= 0) {
                    temp = name;
                } else if (Libc.errno() != Errno.EEXIST || attempt >= 3) {
                    int errno = Libc.errno();
                    throw OperationFailedException.ofErrno("create host lock file " + name, errno, describe(errno),
                            null, null);
                }
            }
            if (Libc.fchmod(fresh, FILE_MODE) != 0 || !tryFlock(fresh, temp)) {
                throw OperationFailedException.of("lock new host lock file " + temp, describe(Libc.errno()), null,
                        null, null);
            }
            if (Libc.renameat2(temp.toString(), file.toString(), Libc.RENAME_EXCHANGE) != 0) {
                int errno = Libc.errno();
                if (errno == Errno.ENOENT) {
                    return -1; // the file was removed meanwhile (released): start over
                }
                throw OperationFailedException.ofErrno("replace host lock file " + file, errno, describe(errno), null,
                        null);
            }
            ProcLocks.FileId displaced = ProcLocks.Incarnation.of(temp, LinkOption.NOFOLLOW_LINKS).id();
            Files.delete(temp);
            temp = null;
            if (holding && displaced.equals(opened.incarnation().id())) {
                LOG.debug("replaced host lock file {} ({}) with a private one under the lock", file, opened);
            } else {
                if (holding) {
                    LOG.warn("host lock file {} was changed by someone else while netbuf held the lock", file);
                }
                awaitNoTrustedHolder(displaced, file, deadline, timeout);
            }
            if (!isAt(fresh, file)) {
                return -1;
            }
            keep = true;
            return fresh;
        } catch (IOException e) {
            throw OperationFailedException.of("replace host lock file " + file, e.toString(), null, null, e);
        } finally {
            if (!keep && fresh >= 0) {
                close(fresh, file);
            }
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.warn("could not remove temporary host lock file {}: {}", temp, e.toString());
                }
            }
        }
    }

    /**
     * Waits until no trusted process holds the displaced lock file {@code displaced}: one that took
     * it before the swap may be inside its critical section (its release will remove the path, our
     * new file; {@link #replace} then starts over).
     */
    private void awaitNoTrustedHolder(ProcLocks.FileId displaced, Path file, long deadline, Duration timeout) {
        while (true) {
            FlockHolders.Holders seen = holdersOf(displaced, file);
            if (seen != null && !seen.anyTrusted(FlockHostLock::trusted)) {
                return;
            }
            LOG.debug("the replaced host lock file {} is still held by {}; waiting", file, seen);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new LockTimeoutException(file.toString(), timeout, null);
            }
            sleep(Math.min(MAX_POLL_NANOS, left), file);
        }
    }

    /** @return whether files and directories of {@code uid} are trusted: root's, and this process's user's */
    static boolean trusted(long uid) {
        int euid = effectiveUid;
        if (euid < 0) {
            euid = Libc.geteuid();
            effectiveUid = euid;
        }
        return uid == 0 || uid == euid;
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

    /** Finds the processes holding an flock(2) lock on a file. */
    @FunctionalInterface
    interface HolderView {
        /**
         * @param file the file
         * @return its holders now
         * @throws IOException if they cannot be seen
         */
        FlockHolders.Holders of(ProcLocks.FileId file) throws IOException;
    }

    /**
     * An opened lock file as fstat(2) shows it.
     *
     * @param incarnation which file it is
     * @param uid its owner
     * @param mode its permission bits
     */
    private record LockFile(ProcLocks.Incarnation incarnation, int uid, int mode) {
        static LockFile of(int fd, Path file) {
            try {
                // stat(2) of /proc/self/fd/N reaches the open file itself
                Map<String, Object> stat = Files.readAttributes(Path.of("/proc/self/fd/" + fd),
                        "unix:dev,ino,ctime,uid,mode");
                if (((Integer) stat.get("mode") & LockDirectory.S_IFMT) != LockDirectory.S_IFREG) {
                    throw OperationFailedException.of("open host lock file " + file, "it is not a regular file",
                            null, null, null);
                }
                return new LockFile(ProcLocks.Incarnation.of(stat), (Integer) stat.get("uid"),
                        (Integer) stat.get("mode") & 07777);
            } catch (IOException e) {
                throw OperationFailedException.of("check host lock file " + file, e.toString(), null, null, e);
            }
        }

        /**
         * Whether users other than a trusted one can open it, and so hold an flock on it: the mode
         * of a file Xen's {@code claim_lock} creates (0644), or of one found or planted.
         */
        boolean exposed() {
            return (mode & 0077) != 0 || !trusted(uid);
        }

        @Override
        public String toString() {
            return String.format("mode %04o, owner uid %d", mode, uid);
        }
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
