package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The JNA unix socket under the XenStore client, against a JDK unix socket peer. */
@Timeout(30)
class UnixSocketChannelTest {
    @TempDir
    Path dir;
    private ServerSocketChannel server;
    private Path socket;

    @BeforeEach
    void listen() throws IOException {
        assertNull(UnixSocketChannel.unavailableReason(), "the binding must load on this test's Linux machines");
        socket = dir.resolve("socket");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    @Test
    void bytesGoBothWaysWhatEverTheirSize() throws Exception {
        byte[] big = new byte[100_000]; // more than one native chunk each way
        new Random(7).nextBytes(big);
        try (UnixSocketChannel client = UnixSocketChannel.connect(socket); SocketChannel peer = server.accept()) {
            CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                try {
                    ByteBuffer out = ByteBuffer.wrap(big);
                    while (out.hasRemaining()) {
                        client.write(out);
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            ByteBuffer echoed = ByteBuffer.allocate(big.length);
            while (echoed.hasRemaining()) {
                peer.read(echoed);
            }
            sent.get(10, TimeUnit.SECONDS);
            assertArrayEquals(big, echoed.array());
            peer.write(ByteBuffer.wrap(big));
            ByteBuffer back = ByteBuffer.allocate(big.length);
            while (back.hasRemaining()) {
                assertTrue(client.read(back) > 0);
            }
            assertArrayEquals(big, back.array());
        }
    }

    @Test
    void thePeerClosingIsTheEndOfTheStream() throws IOException {
        try (UnixSocketChannel client = UnixSocketChannel.connect(socket)) {
            server.accept().close();
            assertEquals(-1, client.read(ByteBuffer.allocate(16)));
        }
    }

    @Test
    void closeWakesABlockedReadAndLaterCallsFail() throws Exception {
        UnixSocketChannel client = UnixSocketChannel.connect(socket);
        try (SocketChannel peer = server.accept()) {
            CompletableFuture<Throwable> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    client.read(ByteBuffer.allocate(16));
                    return null;
                } catch (IOException e) {
                    return e;
                }
            });
            Thread.sleep(200); // let the read block in the kernel
            assertFalse(reader.isDone(), "nothing was sent: the read must still be waiting");
            client.close();
            assertTrue(reader.get(5, TimeUnit.SECONDS) instanceof AsynchronousCloseException);
            assertFalse(client.isOpen());
            assertThrows(ClosedChannelException.class, () -> client.read(ByteBuffer.allocate(1)));
            assertThrows(ClosedChannelException.class, () -> client.write(ByteBuffer.allocate(1)));
            client.close(); // idempotent
        }
    }

    @Test
    void anInterruptedCallerDoesNotCloseTheConnection() throws Exception {
        try (UnixSocketChannel client = UnixSocketChannel.connect(socket); SocketChannel peer = server.accept()) {
            Thread.currentThread().interrupt();
            try {
                client.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
            } finally {
                assertTrue(Thread.interrupted(), "the interrupt status is left as it was");
            }
            ByteBuffer got = ByteBuffer.allocate(3);
            while (got.hasRemaining()) {
                peer.read(got);
            }
            assertArrayEquals(new byte[] {1, 2, 3}, got.array());
            assertTrue(client.isOpen());
        }
    }

    @Test
    void closingReleasesTheDescriptorBeforeItReturnsEvenUnderABlockedRead() throws Exception {
        long before = openDescriptors();
        for (int i = 0; i < 20; i++) {
            UnixSocketChannel client = UnixSocketChannel.connect(socket);
            try (SocketChannel peer = server.accept()) {
                CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
                    try {
                        client.read(ByteBuffer.allocate(16));
                    } catch (IOException expected) {
                        // woken by close
                    }
                });
                Thread.sleep(20); // usually in the kernel's read by now; either way close must free the descriptor
                client.close();
                assertEquals(before + 1, openDescriptors(), "only the peer's descriptor is still open");
                reader.get(5, TimeUnit.SECONDS);
            }
        }
        assertEquals(before, openDescriptors());
    }

    @Test
    void aMissingSocketIsAnIoErrorNamingTheCause() throws IOException {
        Files.delete(socket);
        IOException e = assertThrows(IOException.class, () -> UnixSocketChannel.connect(socket));
        assertTrue(e.getMessage().startsWith("connect failed: No such file or directory"), e.getMessage());
        IOException tooLong = assertThrows(IOException.class,
                () -> UnixSocketChannel.connect(dir.resolve("x".repeat(120))));
        assertTrue(tooLong.getMessage().contains("longer than"), tooLong.getMessage());
    }

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }
}
