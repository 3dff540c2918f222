package io.netbuf.testkit.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreClient;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The testkit xenstored driven by the native client: watches, transactions, perms, restarts. */
class XenstoredServerTest {
    private XenstoredServer server;
    private XenstoreClient client;

    @BeforeEach
    void start() {
        server = XenstoredServer.start();
        client = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    private static String next(BlockingQueue<String> q) throws InterruptedException {
        String s = q.poll(5, TimeUnit.SECONDS);
        if (s == null) {
            throw new AssertionError("no watch event within 5 s");
        }
        return s;
    }

    @Test
    void watchFiresAtOnceOnChangesBelowAndOnAncestorRemoval() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        client.write("/vm/1/dev", "");
        XenstoreClient.Watch w = client.watch("/vm/1/dev", events::add);
        assertEquals("/vm/1/dev", next(events));
        client.write("/vm/1/dev/ifb", "ifb0");
        assertEquals("/vm/1/dev/ifb", next(events));
        client.write("/vm/2", "elsewhere");
        client.rm("/vm/1");
        assertEquals("/vm/1/dev", next(events));
        w.close();
        client.write("/vm/1/dev", "after unwatch");
        client.read("/vm/1/dev");
        assertEquals(null, events.poll(200, TimeUnit.MILLISECONDS));
        assertEquals(0, server.store().watchCount());
    }

    @Test
    void commitThatAlwaysLosesTheRaceEndsInEagain() {
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        try (XenstoreClient other = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(5))) {
            client.write("/claim", "");
            XenstoreException e = assertThrows(XenstoreException.class, () -> client.transaction(ops -> {
                ops.read("/claim");
                other.write("/claim", "theirs-" + runs.incrementAndGet());
                ops.write("/claim", "mine");
                return null;
            }));
            assertEquals("EAGAIN", e.errno());
            assertTrue(e.isConflict());
            assertTrue(runs.get() > 1, "the body was retried");
            assertEquals(Optional.of("theirs-" + runs.get()), client.read("/claim"));
        }
        assertEquals(0, server.store().openTransactions());
    }

    @Test
    void endingAnUnknownTransactionIsEnoent() {
        int tx = client.transactionStart();
        client.transactionEnd(tx, false);
        assertEquals("ENOENT", assertThrows(XenstoreException.class, () -> client.transactionEnd(tx, true)).errno());
    }

    @Test
    void transactionsOfADroppedConnectionAreAborted() {
        XenstoreClient other = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(5));
        other.transactionStart();
        assertEquals(1, server.store().openTransactions());
        other.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.store().openTransactions() > 0 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(0, server.store().openTransactions());
    }

    @Test
    void permissionsRoundTrip() {
        client.write("/p/q", "v");
        assertEquals(List.of("n0"), client.getPerms("/p/q"));
        client.setPerms("/p", List.of("n5", "r0"));
        assertEquals(List.of("n5", "r0"), client.getPerms("/p"));
        assertEquals("EINVAL", assertThrows(XenstoreException.class,
                () -> client.setPerms("/p", List.of("z9"))).errno());
        assertEquals("ENOENT", assertThrows(XenstoreException.class, () -> client.getPerms("/none")).errno());
    }

    @Test
    void largeDirectoryIsListedInParts() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            names.add("a-rather-long-child-name-" + i);
            server.store().mkdir("/many/" + names.get(i));
        }
        assertEquals(names, client.list("/many"));
    }

    @Test
    void clientReconnectsAfterServerRestartAndKeepsItsWatches() throws Exception {
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        client.watch("/r", events::add);
        assertEquals("/r", next(events));
        client.write("/r/before", "1");
        assertEquals("/r/before", next(events));
        server.restart();
        assertTrue(Files.exists(server.socketPath()));
        assertEquals(Optional.of("1"), client.read("/r/before"));
        assertEquals("/r", next(events), "the watch is registered again, and fires once");
        client.write("/r/after", "2");
        assertEquals("/r/after", next(events));
    }

    @Test
    void stoppedServerIsEioThenRecoversOnStart() {
        server.stop();
        XenstoreException e = assertThrows(XenstoreException.class, () -> client.read("/x"));
        assertEquals("EIO", e.errno());
        server.restart();
        client.write("/x", "back");
        assertEquals(Optional.of("back"), client.read("/x"));
    }

    @Test
    void startsQuicklyAndCleansUp() {
        long start = System.nanoTime();
        XenstoredServer s = XenstoredServer.start();
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        s.close();
        assertTrue(!Files.exists(s.socketPath()) && !Files.exists(s.socketPath().getParent()));
        assertTrue(ms < 5_000, "started in " + ms + " ms");
    }

    private static java.nio.ByteBuffer frame(int type, int len) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.nativeOrder());
        return b.putInt(type).putInt(42).putInt(0).putInt(len).flip();
    }

    @Test
    void rawProtocolErrors() throws Exception {
        try (java.nio.channels.SocketChannel raw = java.nio.channels.SocketChannel.open(
                java.net.UnixDomainSocketAddress.of(server.socketPath()))) {
            raw.write(frame(99, 0));
            java.nio.ByteBuffer reply = java.nio.ByteBuffer.allocate(16 + 7).order(java.nio.ByteOrder.nativeOrder());
            while (reply.hasRemaining() && raw.read(reply) >= 0) {
                Thread.onSpinWait();
            }
            assertEquals(16, reply.getInt(0), "ERROR frame");
            assertEquals(42, reply.getInt(4), "req_id echoed");
            assertEquals("EINVAL\0", new String(reply.array(), 16, 7, java.nio.charset.StandardCharsets.US_ASCII));
            raw.write(frame(2, 5000));
            assertEquals(-1, raw.read(java.nio.ByteBuffer.allocate(1)), "oversized frame closes the connection");
        }
    }
}
