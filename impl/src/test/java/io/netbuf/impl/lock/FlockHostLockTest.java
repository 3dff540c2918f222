package io.netbuf.impl.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.LockTimeoutException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import io.netbuf.spi.HostLock;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlockHostLockTest {
    private static final Duration SHORT = Duration.ofMillis(150);
    private static final Duration LONG = Duration.ofSeconds(10);

    @TempDir
    Path tmp;

    /** Takes an flock on the file through a separate open file, as another process would. */
    private int foreignFlock(Path file) {
        int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0644);
        assertTrue(fd >= 0, "open " + file);
        assertEquals(0, Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB), "foreign flock of " + file);
        return fd;
    }

    @Test
    void acquireCreatesTheDirectoryAndFileAndReleaseLeavesTheFileUnlocked() throws Exception {
        Path dir = tmp.resolve("a/b");
        FlockHostLock lock = new FlockHostLock(dir);
        HostLock.Held held = lock.acquire(HostLock.PICK_IFB, LONG);
        assertTrue(Files.isRegularFile(dir.resolve("pickifb")));
        held.close();
        assertTrue(Files.isRegularFile(dir.resolve("pickifb")), "the file stays for whoever is queued on it");
        assertTrue(flockableByAnotherProcess(dir.resolve("pickifb")), "and nobody holds it");
        held.close();
        try (HostLock.Held again = lock.acquire(HostLock.PICK_IFB, Duration.ZERO)) {
            assertTrue(Files.exists(dir.resolve("pickifb")));
        }
    }

    @Test
    void aSecondThreadTimesOutWhileTheFirstHoldsTheLock() throws Exception {
        FlockHostLock lock = new FlockHostLock(tmp);
        try (HostLock.Held held = lock.acquire("pickifb", LONG)) {
            // a second instance on the same directory still shares the in-JVM gate
            FlockHostLock other = new FlockHostLock(tmp);
            LockTimeoutException e = CompletableFuture.supplyAsync(() -> assertThrows(LockTimeoutException.class,
                    () -> other.acquire("pickifb", SHORT))).get(5, TimeUnit.SECONDS);
            assertEquals(tmp.resolve("pickifb").toString(), e.lock());
            assertEquals(SHORT, e.timeout());
        }
        try (HostLock.Held held = lock.acquire("pickifb", Duration.ZERO)) {
            assertTrue(Files.exists(tmp.resolve("pickifb")));
        }
    }

    @Test
    void anFlockHeldThroughAnotherOpenFileExcludesUsUntilReleased() throws Exception {
        Files.createDirectories(tmp);
        Path file = tmp.resolve("pickifb");
        int fd = foreignFlock(file);
        FlockHostLock lock = new FlockHostLock(tmp);
        try {
            assertThrows(LockTimeoutException.class, () -> lock.acquire("pickifb", SHORT));
            assertThrows(LockTimeoutException.class, () -> lock.acquire("pickifb", Duration.ZERO));
        } finally {
            Libc.close(fd);
        }
        try (HostLock.Held held = lock.acquire("pickifb", SHORT)) {
            int probe = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
            try {
                assertEquals(-1, Libc.flock(probe, Libc.LOCK_EX | Libc.LOCK_NB), "netbuf must hold a real flock");
                assertEquals(Errno.EWOULDBLOCK, Libc.errno());
            } finally {
                Libc.close(probe);
            }
        }
    }

    @Test
    void aWaiterWhoseFileWasRemovedByTheReleaserStartsOverOnTheNewFile() throws Exception {
        Path file = tmp.resolve("pickifb");
        int fd = foreignFlock(file);
        FlockHostLock lock = new FlockHostLock(tmp);
        Future<HostLock.Held> waiter = Executors.newSingleThreadExecutor().submit(() -> lock.acquire("pickifb", LONG));
        Thread.sleep(100);
        assertFalse(waiter.isDone());
        // release_lock: rm while holding, then the holder's fd closes
        Files.delete(file);
        Libc.close(fd);
        try (HostLock.Held held = waiter.get(5, TimeUnit.SECONDS)) {
            // without the inode check the waiter would hold the unlinked file and the path would not exist
            assertTrue(Files.exists(file), "the waiter must hold a lock on a file that is linked at the path");
            int probe = foreignFlockOrMinusOne(file);
            assertEquals(-1, probe, "the file at the path must be locked by the waiter");
        }
    }

    @Test
    void aProcessQueuedOnTheLockIsHandedItAndTheNextWaiterHereDoesNotOvertakeIt() throws Exception {
        FlockHostLock lock = new FlockHostLock(tmp);
        Path file = tmp.resolve("pickifb");
        HostLock.Held held = lock.acquire("pickifb", LONG);
        // another open file of the lock, blocked in flock(2) as claim_lock's flock(1) is
        int queued = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Integer> foreign = pool.submit(() -> Libc.flock(queued, Libc.LOCK_EX));
            ProcLocks.FileId id = ProcLocks.Incarnation.of(file).id();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ProcLocks.of(id).blocked() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, ProcLocks.of(id).blocked(), "the foreign request is queued");
            Future<HostLock.Held> next = pool.submit(() -> lock.acquire("pickifb", LONG));
            Thread.sleep(50);
            held.close();

            assertEquals(0, foreign.get(5, TimeUnit.SECONDS), "the queued request got the lock");
            assertEquals(ProcLocks.Incarnation.of(file), ProcLocks.Incarnation.of(Path.of("/proc/self/fd/" + queued)),
                    "it was handed the file at the path, so it holds the lock by the protocol");
            Thread.sleep(200);
            assertFalse(next.isDone(), "this JVM's next waiter must wait for the queued process");
            // release_lock
            Files.delete(file);
            Libc.close(queued);
            try (HostLock.Held again = next.get(5, TimeUnit.SECONDS)) {
                assertTrue(Files.exists(file));
            }
            assertTrue(flockableByAnotherProcess(file), "released, and the file left in place");
        } finally {
            pool.shutdownNow();
        }
    }

    private int foreignFlockOrMinusOne(Path file) {
        int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        assertTrue(fd >= 0, "open " + file);
        try {
            return Libc.flock(fd, Libc.LOCK_EX | Libc.LOCK_NB) == 0 ? fd : -1;
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void threadsExcludeEachOther() throws Exception {
        FlockHostLock lock = new FlockHostLock(tmp);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger entries = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 25; i++) {
                    try (HostLock.Held held = lock.acquire("pickifb", LONG)) {
                        if (inside.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        entries.incrementAndGet();
                        Thread.yield();
                        inside.decrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertEquals(0, overlaps.get());
        assertEquals(100, entries.get());
        assertTrue(flockableByAnotherProcess(tmp.resolve("pickifb")));
    }

    @Test
    void anInterruptedWaiterFailsAndKeepsItsInterruptFlag() throws Exception {
        FlockHostLock lock = new FlockHostLock(tmp);
        Path file = tmp.resolve("pickifb");
        int fd = foreignFlock(file);
        try {
            CompletableFuture<Object[]> result = new CompletableFuture<>();
            Thread waiter = new Thread(() -> {
                try {
                    lock.acquire("pickifb", LONG).close();
                    result.complete(new Object[] {null, false});
                } catch (RuntimeException e) {
                    result.complete(new Object[] {e, Thread.currentThread().isInterrupted()});
                }
            });
            waiter.start();
            Thread.sleep(100);
            waiter.interrupt();
            Object[] outcome = result.get(5, TimeUnit.SECONDS);
            OperationFailedException e = assertInstanceOf(OperationFailedException.class, outcome[0]);
            assertInstanceOf(InterruptedException.class, e.getCause());
            assertEquals(true, outcome[1]);
        } finally {
            Libc.close(fd);
        }
        // the in-JVM gate was given back
        lock.acquire("pickifb", Duration.ZERO).close();
    }

    @Test
    void badNamesAndTimeoutsAreRejectedBeforeTouchingTheDisk() {
        FlockHostLock lock = new FlockHostLock(tmp.resolve("never"));
        for (String bad : new String[] {"", ".", "..", "a/b", "../x", "a b", null}) {
            assertThrows(InvalidConfigurationException.class, () -> lock.acquire(bad, LONG), String.valueOf(bad));
        }
        assertThrows(InvalidConfigurationException.class, () -> lock.acquire("pickifb", Duration.ofSeconds(-1)));
        assertThrows(InvalidConfigurationException.class, () -> lock.acquire("pickifb", null));
        assertFalse(Files.exists(tmp.resolve("never")));
    }

    @Test
    void anUnusableDirectoryIsAnOperationFailureAndFreesTheGate() throws Exception {
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        FlockHostLock lock = new FlockHostLock(notADir);
        assertThrows(OperationFailedException.class, () -> lock.acquire("pickifb", SHORT));
        assertThrows(OperationFailedException.class, () -> lock.acquire("pickifb", SHORT));
    }

    @Test
    void theLockFileIsARegularFileOfRootsThatNobodyElseCanOpen() throws Exception {
        FlockHostLock lock = new FlockHostLock(tmp);
        Path file = tmp.resolve("pickifb");
        lock.acquire("pickifb", LONG).close();
        assertPrivate(file);
        try (HostLock.Held held = lock.acquire("pickifb", LONG)) {
            assertPrivate(file);
        }
    }

    @Test
    void anExposedLockFileIsReplacedByAPrivateOneSoItsOldDescriptorsLockNothing() throws Exception {
        Path file = tmp.resolve("pickifb");
        // as Xen's claim_lock leaves it when killed before release_lock, or an older netbuf
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        Object exposed = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        // opened meanwhile by someone who could read it
        int old = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        FlockHostLock lock = new FlockHostLock(tmp);
        try (HostLock.Held held = lock.acquire("pickifb", LONG)) {
            assertPrivate(file);
            assertNotEquals(exposed, Files.readAttributes(file, BasicFileAttributes.class).fileKey(), "a new file");
            assertEquals(0, Libc.flock(old, Libc.LOCK_EX | Libc.LOCK_NB), "the old file is no longer the lock");
            assertEquals(-1, foreignFlockOrMinusOne(file), "the file at the path is locked by netbuf");
        } finally {
            Libc.close(old);
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(file), left.toList(), "no temporary file is left behind");
        }
    }

    @Test
    void aTrustedProcessThatTookTheOldFileJustBeforeTheSwapKeepsTheLockUntilItsRelease() throws Exception {
        Path file = tmp.resolve("pickifb");
        // an exposed file, locked by a root process (in this JVM: a Xen script) ...
        int xen = foreignFlock(file);
        Object old = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        // ... that netbuf's look at the holders missed: it saw only an unprivileged one, who let go
        AtomicInteger looks = new AtomicInteger();
        FlockHostLock lock = new FlockHostLock(tmp, id -> looks.getAndIncrement() == 0
                ? new FlockHolders.Holders(List.of(new FlockHolders.Holder(1, List.of(65534L, 65534L, 65534L, 65534L))))
                : FlockHolders.of(id));
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            Future<HostLock.Held> netbuf = pool.submit(() -> lock.acquire("pickifb", LONG));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (Files.readAttributes(file, BasicFileAttributes.class).fileKey().equals(old)
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertPrivate(file);
            Thread.sleep(300);
            assertFalse(netbuf.isDone(), "the root process may be inside its critical section: netbuf must wait");
            assertTrue(looks.get() >= 2, "netbuf looks again at who holds the displaced file");
            // release_lock: rm (netbuf's new file, now at the path), then the descriptor closes
            Files.delete(file);
            Libc.close(xen);
            try (HostLock.Held held = netbuf.get(5, TimeUnit.SECONDS)) {
                assertPrivate(file);
                assertEquals(-1, foreignFlockOrMinusOne(file), "netbuf holds the file at the path");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void anExposedFileHeldByRootIsWaitedForNotReplaced() throws Exception {
        Path file = tmp.resolve("pickifb");
        int xen = foreignFlock(file);
        try {
            Object old = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
            Duration wait = Duration.ofMillis(FlockHostLock.HOLDER_LOOKUP_MILLIS * 3);
            assertThrows(LockTimeoutException.class, () -> new FlockHostLock(tmp).acquire("pickifb", wait));
            assertEquals(old, Files.readAttributes(file, BasicFileAttributes.class).fileKey());
        } finally {
            Libc.close(xen);
        }
    }

    @Test
    void aSymbolicLinkAtTheLockPathIsNotFollowed() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Path secret = Files.writeString(outside.resolve("secret"), "keep");
        Path dir = Files.createDirectory(tmp.resolve("locks"));
        FlockHostLock lock = new FlockHostLock(dir);
        Files.createSymbolicLink(dir.resolve("pickifb"), secret);
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> lock.acquire("pickifb", SHORT));
        assertEquals(Errno.ELOOP, e.errno().orElseThrow());
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals("keep", Files.readString(secret));
        assertEquals(0644, (Integer) Files.getAttribute(secret, "unix:mode") & 07777);
        assertTrue(Files.isSymbolicLink(dir.resolve("pickifb")), "left as it was");

        Files.delete(dir.resolve("pickifb"));
        Files.createSymbolicLink(dir.resolve("pickifb"), outside.resolve("absent"));
        assertThrows(OperationFailedException.class, () -> lock.acquire("pickifb", SHORT));
        assertFalse(Files.exists(outside.resolve("absent")), "the link's target was not created");
    }

    @Test
    void somethingElseThanARegularFileAtTheLockPathIsRefused() throws Exception {
        FlockHostLock lock = new FlockHostLock(tmp);
        Files.createDirectory(tmp.resolve("pickifb"));
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> lock.acquire("pickifb", SHORT));
        assertTrue(e.getMessage().contains("not a regular file"), e.getMessage());
        Process mkfifo = new ProcessBuilder("mkfifo", tmp.resolve("fifo").toString()).start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, mkfifo.exitValue());
        assertThrows(OperationFailedException.class, () -> lock.acquire("fifo", SHORT));
        assertThrows(OperationFailedException.class, () -> lock.acquire("fifo", SHORT), "and the gate was freed");
    }

    @Test
    void aLockDirectoryOthersCanWriteToIsRefused() throws Exception {
        for (String mode : new String[] {"rwxrwxrwx", "rwxrwxr-x", "rwxr-xrwx"}) {
            Path dir = Files.createDirectories(tmp.resolve(mode));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(mode));
            FlockHostLock lock = new FlockHostLock(dir);
            OperationFailedException e = assertThrows(OperationFailedException.class,
                    () -> lock.acquire("pickifb", SHORT), mode);
            assertTrue(e.getMessage().contains("writable by group or others"), e.getMessage());
            assertTrue(e.operation().startsWith("check host lock directory"), e.operation());
            assertFalse(Files.exists(dir.resolve("pickifb")), "nothing created in it");
        }
        // sticky (as /tmp) is no excuse for the lock directory itself
        Path sticky = Files.createDirectories(tmp.resolve("sticky"));
        chmod(sticky, "1777");
        assertThrows(OperationFailedException.class, () -> new FlockHostLock(sticky).acquire("pickifb", SHORT));
    }

    @Test
    void aDirectoryAboveThatOthersCanWriteToIsRefusedUnlessSticky() throws Exception {
        Path open = Files.createDirectories(tmp.resolve("open"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> new FlockHostLock(open.resolve("locks")).acquire("pickifb", SHORT));
        assertTrue(e.getMessage().contains(open + " is writable by group or others"), e.getMessage());

        Path sticky = Files.createDirectories(tmp.resolve("sticky"));
        chmod(sticky, "1777");
        new FlockHostLock(sticky.resolve("locks")).acquire("pickifb", SHORT).close();
        // a symbolic link on the way is fine when it is trusted's and leads to a trusted directory
        Path link = Files.createSymbolicLink(tmp.resolve("link"), sticky);
        new FlockHostLock(link.resolve("locks")).acquire("pickifb", SHORT).close();
    }

    @Test
    void aLockDirectoryOwnedByAnotherUserIsRefused() throws Exception {
        assumeTrue(Libc.geteuid() == 0, "needs root to give a directory away");
        Path dir = Files.createDirectories(tmp.resolve("theirs"));
        Files.setAttribute(dir, "unix:uid", 65534);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> new FlockHostLock(dir).acquire("pickifb", SHORT));
        assertTrue(e.getMessage().contains("owned by uid 65534"), e.getMessage());
    }

    private static void chmod(Path path, String octal) throws Exception {
        Process p = new ProcessBuilder("chmod", octal, path.toString()).start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue());
    }

    private static void assertPrivate(Path file) throws Exception {
        Map<String, Object> stat = Files.readAttributes(file, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        assertTrue(Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS), file + " is a regular file");
        assertEquals(0100600, (Integer) stat.get("mode"), "mode 0600");
        assertEquals(Libc.geteuid(), (Integer) stat.get("uid"), "owned by this process's user (root)");
    }

    /** @return whether flock(1) in another process takes {@code file} at once */
    private static boolean flockableByAnotherProcess(Path file) throws Exception {
        Process p = new ProcessBuilder("flock", "-n", "-x", file.toString(), "true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.exitValue() == 0;
    }
}
