package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The transport over a device (not a socket), as over {@code /dev/xen/xenbus}: a write must go out while
 * the reader thread is blocked in a read, as the client's reader always is. A FIFO opened read-write
 * stands in for the device: its reads block until someone writes. Over one {@code FileChannel} the
 * write waited for the read forever (found in the Xen lab, where {@code /dev/xen/xenbus} is real).
 */
class XenstoreTransportDeviceTest {
    @TempDir
    Path dir;

    @Test
    void aWriteIsNotHeldUpByABlockedRead() throws Exception {
        Path fifo = dir.resolve("xenbus");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(30, TimeUnit.SECONDS), "mkfifo did not finish");
        assertEquals(0, mkfifo.exitValue(), "mkfifo failed");
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try (XenstoreTransport transport = XenstoreTransport.open(fifo, java.time.Duration.ofSeconds(5))) {
            ByteBuffer got = ByteBuffer.allocate(5);
            CompletableFuture<Boolean> reader = CompletableFuture.supplyAsync(() -> {
                try {
                    return transport.readFully(got);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, threads);
            Thread.sleep(300); // the reader is now blocked in read(2)
            Future<?> writer = threads.submit(() -> {
                transport.writeFully(ByteBuffer.wrap("hello".getBytes(StandardCharsets.US_ASCII)));
                return null;
            });
            writer.get(10, TimeUnit.SECONDS);
            assertTrue(reader.get(10, TimeUnit.SECONDS));
            assertArrayEquals("hello".getBytes(StandardCharsets.US_ASCII), got.array());
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void closeUnblocksAPendingRead() throws Exception {
        Path fifo = dir.resolve("xenbus");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(30, TimeUnit.SECONDS), "mkfifo did not finish");
        ExecutorService threads = Executors.newSingleThreadExecutor();
        try {
            XenstoreTransport transport = XenstoreTransport.open(fifo, java.time.Duration.ofSeconds(5));
            Future<Boolean> reader = threads.submit(() -> transport.readFully(ByteBuffer.allocate(4)));
            Thread.sleep(300);
            transport.close();
            try {
                reader.get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException expected) {
                // an AsynchronousCloseException: the read ended, which is what matters
            }
            assertTrue(reader.isDone());
        } finally {
            threads.shutdownNow();
        }
    }
}
