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
import org.junit.jupiter.api.Test;

/** The native client against a raw peer that can misbehave in exactly chosen ways. */
class XenstoreClientTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @Test
    void pipelinesManyThreadsAndMatchesOutOfOrderReplies() throws Exception {
        int threads = 8;
        int perThread = 50;
        List<Object[]> held = new ArrayList<>();
        // replies are held and flushed newest first every few ms, so they arrive out of order
        java.util.concurrent.ScheduledExecutorService flusher = Executors.newSingleThreadScheduledExecutor();
        flusher.scheduleWithFixedDelay(() -> {
            synchronized (held) {
                for (int i = held.size() - 1; i >= 0; i--) {
                    try {
                        RawServer.echo((XenstoreWire.Message) held.get(i)[0], (SocketChannel) held.get(i)[1]);
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
                held.clear();
            }
        }, 2, 2, TimeUnit.MILLISECONDS);
        try (RawServer server = new RawServer((m, c) -> {
            synchronized (held) {
                held.add(new Object[] {m, c});
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    futures.add(pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            String path = "/t" + thread + "/n" + i;
                            assertEquals(Optional.of(path), client.read(path));
                        }
                    }));
                }
                for (Future<?> f : futures) {
                    f.get(60, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(1, server.accepted.get(), "all requests shared one connection");
        } finally {
            flusher.shutdownNow();
        }
    }

    @Test
    void errorFramesBecomeTypedExceptions() throws Exception {
        try (RawServer server = new RawServer((m, c) -> RawServer.reply(c, XenstoreWire.ERROR, m.reqId(), 0,
                XenstoreWire.payload(m.type() == XenstoreWire.READ ? "ENOENT" : "EACCES")));
             XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            assertEquals(Optional.empty(), client.read("/missing"));
            XenstoreException e = assertThrows(XenstoreException.class, () -> client.write("/locked", "v"));
            assertEquals("EACCES", e.errno());
            assertEquals(Optional.of("/locked"), e.path());
            assertEquals("write", e.operation());
        }
    }

    @Test
    void timesOutWhenNoReplyComes() throws Exception {
        try (RawServer server = new RawServer((m, c) -> { });
             XenstoreClient client = XenstoreClient.connect(server.socket(), Duration.ofMillis(200))) {
            XenstoreException e = assertThrows(XenstoreException.class, () -> client.read("/slow"));
            assertEquals("ETIMEDOUT", e.errno());
        }
    }

    @Test
    void oversizedLengthIsAProtocolErrorAndTheClientReconnects() throws Exception {
        assertMalformedThenRecovers(
                (m, c) -> RawServer.write(c, RawServer.header(XenstoreWire.READ, m.reqId(), 0, 1 << 30)),
                "payload of 1073741824");
    }

    @Test
    void unknownTypeIsAProtocolError() throws Exception {
        assertMalformedThenRecovers((m, c) -> RawServer.write(c, RawServer.header(99, m.reqId(), 0, 0)),
                "unknown message type 99");
    }

    @Test
    void truncatedFrameIsAProtocolError() throws Exception {
        assertMalformedThenRecovers((m, c) -> {
            ByteBuffer h = RawServer.header(XenstoreWire.READ, m.reqId(), 0, 100);
            RawServer.write(c, h);
            RawServer.write(c, ByteBuffer.wrap(new byte[] {'a', 'b', 'c'}));
            c.close();
        }, "truncated frame");
    }

    @Test
    void truncatedHeaderIsAProtocolError() throws Exception {
        assertMalformedThenRecovers((m, c) -> {
            RawServer.write(c, ByteBuffer.wrap(new byte[] {2, 0, 0}));
            c.close();
        }, "truncated frame");
    }

    @Test
    void replyOfTheWrongTypeIsAProtocolError() throws Exception {
        assertMalformedThenRecovers((m, c) -> RawServer.reply(c, XenstoreWire.DIRECTORY, m.reqId(), 0, new byte[0]),
                "reply of type directory to a read request");
    }

    /**
     * The first connection misbehaves once; the call must fail with EPROTO quickly (not hang),
     * and the next call must succeed on a fresh connection.
     */
    private static void assertMalformedThenRecovers(RawServer.Script bad, String detail) throws Exception {
        java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
        try (RawServer server = new RawServer((m, c) -> {
            if (calls.incrementAndGet() == 1) {
                bad.onRequest(m, c);
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            long start = System.nanoTime();
            XenstoreException e = assertThrows(XenstoreException.class, () -> client.read("/first"));
            assertTrue(System.nanoTime() - start < TIMEOUT.toNanos(), "failed by timeout, not by detection");
            assertEquals("EPROTO", e.errno());
            assertTrue(e.getMessage().contains(detail), e.getMessage());
            assertEquals(Optional.of("/second"), client.read("/second"));
            assertEquals(2, server.accepted.get());
        }
    }

    @Test
    void watchCallbacksRunOffTheReaderThread() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch entered = new CountDownLatch(1);
        try (RawServer server = new RawServer((m, c) -> {
            if (m.type() == XenstoreWire.WATCH) {
                RawServer.reply(c, XenstoreWire.WATCH, m.reqId(), 0, XenstoreWire.payload("OK"));
                List<String> args = m.strings();
                RawServer.reply(c, XenstoreWire.WATCH_EVENT, 0, 0, XenstoreWire.payload(args.get(0), args.get(1)));
            } else {
                RawServer.echo(m, c);
            }
        }); XenstoreClient client = XenstoreClient.connect(server.socket(), TIMEOUT)) {
            List<String> events = new ArrayList<>();
            client.watch("/w", path -> {
                events.add(path);
                entered.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(entered.await(5, TimeUnit.SECONDS));
            // the callback is blocked; requests must still be answered
            assertEquals(Optional.of("/other"), client.read("/other"));
            release.countDown();
            assertEquals(List.of("/w"), events);
        }
    }

    @Test
    void unreachableEndpointIsEio(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        XenstoreException e = assertThrows(XenstoreException.class,
                () -> XenstoreClient.connect(dir.resolve("none"), TIMEOUT));
        assertEquals("EIO", e.errno());
    }

    @Test
    void endpointsFollowLibxenstore() {
        assertEquals(List.of(java.nio.file.Path.of("/tmp/xs")),
                XenstoreTransport.candidates(java.util.Map.of("XENSTORED_PATH", "/tmp/xs")));
        List<java.nio.file.Path> defaults = XenstoreTransport.candidates(java.util.Map.of());
        assertEquals(XenstoreTransport.DEFAULT_SOCKET, defaults.get(0));
        assertTrue(defaults.get(1).equals(XenstoreTransport.XENBUS_DEVICE)
                || defaults.get(1).equals(XenstoreTransport.PROC_XENBUS));
    }
}
