package io.netbuf.it.xenstored;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.it.xenstored.RealXenstored.Flavour;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The native client against Xen's own daemons where they showed its defects (issue #16): a daemon
 * that stops reading, a daemon restarted under a transaction, directories larger than one frame.
 */
class RealXenstoredDefectsIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(1);

    /**
     * With the daemon stopped (SIGSTOP), 64 writers of 2 KB each and a small reader all end within
     * their timeout (ETIMEDOUT), none blocked until the daemon resumes; then the client works again.
     */
    @ParameterizedTest
    @EnumSource(Flavour.class)
    void aStoppedDaemonBoundsEveryCallWritesIncluded(Flavour flavour) throws Exception {
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient client = XenstoreClient.connect(daemon.socketPath(), TIMEOUT)) {
            client.write("/probe", "before");
            String value = "v".repeat(2000);
            ExecutorService pool = Executors.newFixedThreadPool(65);
            daemon.pause();
            try {
                long start = System.nanoTime();
                List<Future<String>> calls = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    String path = "/flood/" + i + "/" + "p".repeat(1500);
                    calls.add(pool.submit(() -> outcome(() -> client.write(path, value))));
                }
                calls.add(pool.submit(() -> outcome(() -> client.read("/probe"))));
                List<String> outcomes = new ArrayList<>();
                for (Future<String> call : calls) {
                    outcomes.add(call.get(TIMEOUT.toMillis() * 4, TimeUnit.MILLISECONDS)); // a hang fails here
                }
                long tookMs = (System.nanoTime() - start) / 1_000_000;
                // ETIMEDOUT, or EIO for a call whose reconnect found the stopped daemon's backlog full
                assertTrue(outcomes.stream().allMatch(o -> o.equals("ETIMEDOUT") || o.equals("EIO")), outcomes::toString);
                assertTrue(outcomes.stream().filter("ETIMEDOUT"::equals).count() > 32, outcomes::toString);
                assertTrue(tookMs < TIMEOUT.toMillis() * 3, "all ended within their timeout, took " + tookMs + " ms");
            } finally {
                daemon.resume();
                pool.shutdownNow();
            }
            assertEquals(Optional.of("before"), client.read("/probe"), "the client works once the daemon runs");
        }
    }

    private static String outcome(Runnable call) {
        try {
            call.run();
            return "OK";
        } catch (XenstoreException e) {
            return e.errno();
        }
    }

    /**
     * A transaction started before the daemon restarted fails (EAGAIN) after the reconnect, even
     * though the new connection hands out the same id again; it never writes into the new
     * transaction, and a read in it is not taken for a missing node.
     */
    @ParameterizedTest
    @EnumSource(Flavour.class)
    void aTransactionDoesNotSurviveItsConnection(Flavour flavour) {
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient client = XenstoreClient.connect(daemon.socketPath(), Duration.ofSeconds(5))) {
            int a = client.transactionStart();
            int aborted = client.transactionStart();
            client.in(a).write("/a/before", "1");
            daemon.restart();
            assertEquals(Optional.empty(), client.read("/a/before"), "reconnected to the new, empty daemon");
            int b = client.transactionStart();
            assertEquals("EAGAIN", assertThrows(XenstoreException.class, () -> client.in(a).write("/a/stale", "x")).errno());
            assertEquals("EAGAIN", assertThrows(XenstoreException.class, () -> client.in(a).read("/a/stale")).errno());
            client.in(b).write("/b/mine", "y");
            client.transactionEnd(b, true);
            assertEquals("EAGAIN", assertThrows(XenstoreException.class, () -> client.transactionEnd(a, true)).errno());
            assertEquals(Optional.of("y"), client.read("/b/mine"));
            assertFalse(client.exists("/a/stale"), "A's write never reached B");
            client.transactionEnd(aborted, false); // aborting a lost transaction is a no-op
        }
    }

    /** The daemon restarts in the middle of a transaction's body: the body runs again in a new transaction. */
    @ParameterizedTest
    @EnumSource(Flavour.class)
    void theTransactionBodyRunsAgainAfterARestart(Flavour flavour) {
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient client = XenstoreClient.connect(daemon.socketPath(), Duration.ofSeconds(5))) {
            AtomicInteger runs = new AtomicInteger();
            String result = client.transaction(ops -> {
                if (runs.incrementAndGet() == 1) {
                    daemon.restart();
                }
                ops.write("/claim/ifb", "ifb0");
                return "done";
            });
            assertEquals("done", result);
            assertEquals(2, runs.get());
            assertEquals(Optional.of("ifb0"), client.read("/claim/ifb"));
        }
    }

    /**
     * 1,200 domains under /local/domain (about 6 KB of names): C xenstored answers E2BIG and the
     * client pages with DIRECTORY_PART; oxenstored sends one DIRECTORY reply over 4096 bytes. Both
     * list every child, and calls of other threads in flight meanwhile are unharmed.
     */
    @ParameterizedTest
    @EnumSource(Flavour.class)
    void largeDirectoriesAreListedWhicheverWayTheDaemonSendsThem(Flavour flavour) throws Exception {
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient client = XenstoreClient.connect(daemon.socketPath(), Duration.ofSeconds(10))) {
            List<String> paths = new ArrayList<>();
            for (int d = 1; d <= 1200; d++) {
                paths.add("/local/domain/" + d + "/name");
            }
            client.transaction(ops -> {
                for (String p : paths) {
                    ops.write(p, "guest");
                }
                return null;
            });
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Integer> reads = pool.submit(() -> {
                    int n = 0;
                    for (int i = 0; i < 200; i++) {
                        n += client.read("/local/domain/7/name").isPresent() ? 1 : 0;
                    }
                    return n;
                });
                List<String> children = client.list("/local/domain");
                assertTrue(children.size() >= 1200, "listed " + children.size());
                assertTrue(children.contains("1200") && children.contains("1"), "every domain listed");
                assertEquals(200, reads.get(30, TimeUnit.SECONDS));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Values are bytes: a value that is not UTF-8 reads back unchanged through {@link XenstoreClient#readBytes}. */
    @ParameterizedTest
    @EnumSource(Flavour.class)
    void nonUtf8ValuesReadBackByteForByte(Flavour flavour) {
        try (RealXenstored daemon = RealXenstored.start(flavour);
                XenstoreClient client = XenstoreClient.connect(daemon.socketPath(), Duration.ofSeconds(5))) {
            byte[] value = {(byte) 0xff, (byte) 0xfe, 'a', (byte) 0x80, 0x7f, (byte) 0xc3};
            client.writeBytes("/raw", value);
            assertArrayEquals(value, client.readBytes("/raw").orElseThrow());
            assertEquals(Optional.empty(), client.readBytes("/raw/missing"));
        }
    }
}
