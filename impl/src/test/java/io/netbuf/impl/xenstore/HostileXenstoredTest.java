package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.XenstoreException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The native client against servers that misbehave as issue #16 found (and as oxenstored behaves):
 * every call ends within its timeout, memory stays bounded, one bad reply harms only its own call.
 */
@org.junit.jupiter.api.Timeout(60)
class HostileXenstoredTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    /** An ERROR reply without an errno is EPROTO, not an errno "", and the connection stays up. */
    @Test
    void anEmptyErrorIsEprotoAndHarmsOnlyItsCall() throws Exception {
        try (RawServer server = new RawServer((m, c) -> {
            if (m.strings().get(0).equals("/bad")) {
                RawServer.reply(c, XenstoreWire.ERROR, m.reqId(), 0, new byte[0]);
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            XenstoreException e = assertThrows(XenstoreException.class, () -> client.read("/bad"));
            assertEquals("EPROTO", e.errno());
            assertEquals(Optional.of("/good"), client.read("/good"));
            assertEquals(1, server.accepted.get(), "no reconnect needed");
        }
    }

    /**
     * A DIRECTORY reply over 4096 bytes (oxenstored sends large directories whole) is accepted,
     * while other threads' calls go on, on the same connection.
     */
    @Test
    void aDirectoryReplyOver4096BytesIsAccepted() throws Exception {
        List<String> names = new ArrayList<>();
        for (int d = 0; d < 1200; d++) {
            names.add(Integer.toString(d));
        }
        byte[] big = XenstoreWire.payload(names.toArray(String[]::new));
        assertTrue(big.length > XenstoreWire.MAX_PAYLOAD);
        try (RawServer server = new RawServer((m, c) -> {
            if (m.type() == XenstoreWire.DIRECTORY) {
                ByteBuffer frame = ByteBuffer.allocate(XenstoreWire.HEADER_SIZE + big.length);
                frame.put(RawServer.header(XenstoreWire.DIRECTORY, m.reqId(), 0, big.length)).put(big).flip();
                RawServer.write(c, frame); // whole, as oxenstored writes it (encode() refuses over 4096)
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Optional<String>>> reads = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    String p = "/r" + i;
                    reads.add(pool.submit(() -> client.read(p)));
                }
                assertEquals(names, client.list("/local/domain"));
                for (int i = 0; i < 100; i++) {
                    assertEquals(Optional.of("/r" + i), reads.get(i).get(10, TimeUnit.SECONDS));
                }
            } finally {
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "calls still running after the test");
            }
            assertEquals(1, server.accepted.get());
        }
    }

    /**
     * A server that answers DIRECTORY with E2BIG and then DIRECTORY_PART forever, never sending the
     * last piece: the listing fails (E2BIG or ETIMEDOUT) within the timeout, holding at most 1 MiB.
     */
    @Test
    void aDirectoryPartThatNeverEndsIsBounded() throws Exception {
        byte[] chunk = new byte[4000];
        java.util.Arrays.fill(chunk, (byte) 'a');
        chunk[chunk.length - 1] = 0;
        chunk[chunk.length - 2] = 'b'; // never "\0\0": never the last piece
        AtomicInteger rounds = new AtomicInteger();
        try (RawServer server = new RawServer((m, c) -> {
            if (m.type() == XenstoreWire.DIRECTORY) {
                RawServer.reply(c, XenstoreWire.ERROR, m.reqId(), 0, XenstoreWire.payload("E2BIG"));
            } else if (m.type() == XenstoreWire.DIRECTORY_PART) {
                rounds.incrementAndGet();
                ByteBuffer reply = ByteBuffer.allocate(2 + chunk.length);
                reply.put(XenstoreWire.payload("7")).put(chunk);
                RawServer.reply(c, XenstoreWire.DIRECTORY_PART, m.reqId(), 0, reply.array());
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            long start = System.nanoTime();
            XenstoreException e = assertThrows(XenstoreException.class, () -> client.list("/huge"));
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(e.errno().equals("E2BIG") || e.errno().equals("ETIMEDOUT"), e.getMessage());
            assertTrue(tookMs < TIMEOUT.toMillis() + 1000, "took " + tookMs + " ms");
            assertTrue(rounds.get() <= XenstoreWire.MAX_DIRECTORY_REPLY / 3998 + 2, "rounds " + rounds.get());
            assertEquals(Optional.of("/after"), client.read("/after"));
        }
    }

    /**
     * A flood of events for a watch whose callback is slow: the events waiting stay bounded (they
     * coalesce, then collapse into the watched path), and the callback learns of the change.
     */
    @Test
    void aWatchEventFloodStaysBounded() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean flooded = new AtomicBoolean();
        try (RawServer server = new RawServer((m, c) -> {
            if (m.type() == XenstoreWire.WATCH) {
                List<String> args = m.strings();
                RawServer.reply(c, XenstoreWire.WATCH, m.reqId(), 0, XenstoreWire.payload("OK"));
                for (int i = 0; i < 20_000; i++) {
                    RawServer.reply(c, XenstoreWire.WATCH_EVENT, 0, 0,
                            XenstoreWire.payload(args.get(0) + "/e" + i, args.get(1)));
                }
                flooded.set(true);
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            List<String> seen = java.util.Collections.synchronizedList(new ArrayList<>());
            client.watch("/w", path -> {
                seen.add(path);
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!flooded.get() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals(Optional.of("/sync"), client.read("/sync")); // every event before this reply was taken
            assertTrue(client.pendingWatchEvents() <= WatchRegistry.MAX_PENDING_PER_WATCH,
                    "pending " + client.pendingWatchEvents());
            release.countDown();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (client.pendingWatchEvents() > 0 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertEquals(0, client.pendingWatchEvents());
            assertTrue(seen.contains("/w"), "the collapsed events arrive as the watched path itself");
            assertTrue(seen.size() <= WatchRegistry.MAX_PENDING_PER_WATCH + 2, "delivered " + seen.size());
        }
    }

    /**
     * A server that sends half a frame and then nothing: the call times out, the connection is
     * dropped, and the next call succeeds on a new one (it used to stay wedged for good).
     */
    @Test
    void aStalledPartialFrameResetsTheConnection() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        try (RawServer server = new RawServer((m, c) -> {
            if (calls.incrementAndGet() == 1) {
                RawServer.write(c, RawServer.header(XenstoreWire.READ, m.reqId(), 0, 100));
                RawServer.write(c, ByteBuffer.wrap(new byte[] {'h', 'a', 'l', 'f'}));
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), Duration.ofMillis(500))) {
            assertEquals("ETIMEDOUT", assertThrows(XenstoreException.class, () -> client.read("/first")).errno());
            assertEquals(Optional.of("/second"), client.read("/second"));
            assertEquals(2, server.accepted.get());
        }
    }

    /** A server that never reads: a write bigger than the socket buffers ends by the timeout, as does a small read queued behind it. */
    @Test
    void aServerThatNeverReadsCannotBlockWriters() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (RawServer server = new RawServer((m, c) -> {
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), Duration.ofMillis(500))) {
            ExecutorService pool = Executors.newFixedThreadPool(65);
            try {
                List<Future<String>> calls = new ArrayList<>();
                for (int i = 0; i < 64; i++) {
                    String path = "/w" + i + "/" + "p".repeat(1000);
                    calls.add(pool.submit(() -> errno(() -> client.write(path, "v".repeat(3000)))));
                }
                calls.add(pool.submit(() -> errno(() -> client.read("/small"))));
                for (Future<String> call : calls) {
                    String errno = call.get(3, TimeUnit.SECONDS);
                    assertTrue(errno.equals("ETIMEDOUT") || errno.equals("EIO"), errno);
                }
            } finally {
                never.countDown();
                pool.shutdownNow();
                assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS), "calls still running after the test");
            }
        }
    }

    private static String errno(Runnable call) {
        try {
            call.run();
            return "OK";
        } catch (XenstoreException e) {
            return e.errno();
        }
    }
}
