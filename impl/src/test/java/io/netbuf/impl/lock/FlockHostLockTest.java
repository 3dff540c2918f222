package io.netbuf.impl.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.LockTimeoutException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import io.netbuf.spi.HostLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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

    /** @return whether flock(1) in another process takes {@code file} at once */
    private static boolean flockableByAnotherProcess(Path file) throws Exception {
        Process p = new ProcessBuilder("flock", "-n", "-x", file.toString(), "true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.exitValue() == 0;
    }
}
