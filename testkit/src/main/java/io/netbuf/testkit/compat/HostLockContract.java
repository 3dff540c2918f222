package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.LockTimeoutException;
import io.netbuf.spi.HostLock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Compatibility kit for {@link HostLock}: exclusion between threads (the JVM's share of the
 * host-wide exclusion), the bounded wait and release on close. Lock names are unique per test.
 */
public abstract class HostLockContract extends PortContract {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final Duration SHORT = Duration.ofMillis(200);
    private static final Duration LONG = Duration.ofSeconds(20);

    /** For subclasses. */
    protected HostLockContract() {
    }

    private static String name() {
        return "netbuf-kit-" + ProcessHandle.current().pid() + "-" + NAMES.incrementAndGet();
    }

    private HostLock lock() {
        return host().lock();
    }

    private <T> T inOtherThread(java.util.function.Supplier<T> body) throws Exception {
        try {
            return CompletableFuture.supplyAsync(body).get(LONG.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    @Test
    void isTakenAndReleased() {
        String name = name();
        HostLock.Held held = lock().acquire(name, SHORT);
        held.close();
        held.close();
        try (HostLock.Held again = lock().acquire(name, Duration.ZERO)) {
            assertTrue(again != null);
        }
    }

    @Test
    void excludesAnotherThreadUntilItsTimeout() throws Exception {
        String name = name();
        try (HostLock.Held held = lock().acquire(name, SHORT)) {
            long start = System.nanoTime();
            LockTimeoutException e = assertThrows(LockTimeoutException.class,
                    () -> inOtherThread(() -> lock().acquire(name, SHORT)));
            long waited = System.nanoTime() - start;
            assertEquals(SHORT, e.timeout());
            assertTrue(waited >= SHORT.toNanos() - TimeUnit.MILLISECONDS.toNanos(20),
                    "waited only " + waited / 1_000_000 + " ms");
        }
    }

    @Test
    void letsAWaitingThreadInOnceReleased() throws Exception {
        String name = name();
        HostLock.Held held = lock().acquire(name, SHORT);
        CountDownLatch waiting = new CountDownLatch(1);
        CompletableFuture<Boolean> other = CompletableFuture.supplyAsync(() -> {
            waiting.countDown();
            try (HostLock.Held h = lock().acquire(name, LONG)) {
                return true;
            }
        });
        assertTrue(waiting.await(LONG.toSeconds(), TimeUnit.SECONDS));
        assertThrows(TimeoutException.class, () -> other.get(100, TimeUnit.MILLISECONDS),
                "the other thread must wait while the lock is held");
        held.close();
        assertTrue(other.get(LONG.toSeconds(), TimeUnit.SECONDS));
    }

    @Test
    void locksWithDifferentNamesAreIndependent() throws Exception {
        try (HostLock.Held a = lock().acquire(name(), SHORT)) {
            String other = name();
            assertTrue(inOtherThread(() -> {
                try (HostLock.Held b = lock().acquire(other, SHORT)) {
                    return true;
                }
            }));
        }
    }

    @Test
    void aReleaseFromAnotherThreadFreesTheLock() throws Exception {
        String name = name();
        HostLock.Held held = lock().acquire(name, SHORT);
        inOtherThread(() -> {
            held.close();
            return null;
        });
        try (HostLock.Held again = lock().acquire(name, SHORT)) {
            assertTrue(again != null);
        }
    }

    @Test
    void aHugeTimeoutWaitsAsLongAsNeeded() throws Exception {
        for (Duration huge : List.of(Duration.ofSeconds(Long.MAX_VALUE, 999_999_999), Duration.ofNanos(Long.MAX_VALUE),
                Duration.ofDays(100 * 365))) {
            String name = name();
            try (HostLock.Held free = lock().acquire(name, huge)) {
                assertTrue(free != null, "a free lock is taken at once with " + huge);
            }
            HostLock.Held held = lock().acquire(name, SHORT);
            CompletableFuture<Boolean> other = CompletableFuture.supplyAsync(() -> {
                try (HostLock.Held h = lock().acquire(name, huge)) {
                    return true;
                }
            });
            assertThrows(TimeoutException.class, () -> other.get(100, TimeUnit.MILLISECONDS),
                    "waits while the lock is held, with " + huge);
            held.close();
            assertTrue(other.get(LONG.toSeconds(), TimeUnit.SECONDS));
        }
    }
}
