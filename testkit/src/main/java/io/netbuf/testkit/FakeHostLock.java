package io.netbuf.testkit;

import io.netbuf.LockTimeoutException;
import io.netbuf.OperationFailedException;
import io.netbuf.spi.HostLock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The fake host lock: one exclusive lock per name, not reentrant (like an flock taken on a fresh
 * open file: a second acquire waits even in the holding thread), with the bounded wait. Remembers
 * which names are held, for the leak check. A timeout too long to count in nanoseconds waits as long
 * as needed.
 */
final class FakeHostLock implements HostLock {
    /** Longer waits saturate, as the real lock's do: a wait that long never ends in practice. */
    private static final Duration LONGEST_WAIT = Duration.ofNanos(Long.MAX_VALUE);

    private final CallInterceptor interceptor;
    private final Map<String, Thread> holders = new TreeMap<>();

    FakeHostLock(CallInterceptor interceptor) {
        this.interceptor = interceptor;
    }

    @Override
    public Held acquire(String name, Duration timeout) {
        return interceptor.call(PortOperation.LOCK_ACQUIRE, Arrays.asList(name, timeout), () -> take(name, timeout));
    }

    /** @return the names held now, with the thread that took each */
    synchronized Map<String, String> held() {
        Map<String, String> out = new TreeMap<>();
        holders.forEach((name, thread) -> out.put(name, thread.getName()));
        return out;
    }

    private Held take(String name, Duration timeout) {
        if (name == null || name.isEmpty() || name.contains("/")) {
            throw new IllegalArgumentException("lock name must be a non-empty file name: " + name);
        }
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        long start = System.nanoTime();
        long wait = timeout.compareTo(LONGEST_WAIT) >= 0 ? Long.MAX_VALUE : timeout.toNanos();
        synchronized (this) {
            while (holders.containsKey(name)) {
                long left = wait - (System.nanoTime() - start);
                if (left <= 0) {
                    throw new LockTimeoutException(name, timeout, null);
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw OperationFailedException.of("acquire host lock " + name, "interrupted while waiting",
                            null, null, e);
                }
            }
            holders.put(name, Thread.currentThread());
        }
        return new FakeHeld(name);
    }

    private synchronized void release(String name) {
        holders.remove(name);
        notifyAll();
    }

    /** A held fake lock; close is idempotent. */
    private final class FakeHeld implements Held {
        private final String name;
        private boolean open = true;

        FakeHeld(String name) {
            this.name = name;
        }

        @Override
        public void close() {
            synchronized (FakeHostLock.this) {
                if (open) {
                    open = false;
                    release(name);
                }
            }
        }

        @Override
        public String toString() {
            return "held fake lock " + name;
        }
    }
}
