package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Over the xenbus device a request may go out only once the one before it was answered: the kernel keeps
 * a written request's payload in the open file's one buffer until its xenbus thread sends it, and the
 * next write overwrites it. Found in the Xen lab: the kit's pipelined {@code readAll} over
 * {@code /dev/xen/xenbus} got each path's neighbour's value. A peer that answers each request after a
 * delay counts how many requests it held at once.
 */
class XenstoreDeviceOneInFlightTest {

    /** @return the most requests the peer held unanswered at once while 8 were sent without waiting */
    private static int mostInFlight(boolean device) throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        ScheduledExecutorService answers = Executors.newSingleThreadScheduledExecutor();
        try (RawServer server = new RawServer((request, channel) -> {
            most.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            answers.schedule(() -> {
                inFlight.decrementAndGet();
                RawServer.echo(request, channel);
                return null;
            }, 30, TimeUnit.MILLISECONDS);
        })) {
            SocketChannel socket = SocketChannel.open(StandardProtocolFamily.UNIX);
            socket.connect(UnixDomainSocketAddress.of(server.socket()));
            XenstoreConnection connection = new XenstoreConnection(
                    new XenstoreTransport(socket, server.socket(), device), event -> { }, () -> { });
            connection.start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                List<CompletableFuture<XenstoreWire.Message>> replies = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    replies.add(connection.send(new XenstoreWire.Message(XenstoreWire.READ, i, 0,
                            XenstoreWire.payload("/libxl/" + i)), deadline));
                }
                for (int i = 0; i < 8; i++) {
                    assertEquals("/libxl/" + i, replies.get(i).get(10, TimeUnit.SECONDS).text());
                }
            } finally {
                connection.fail(new io.netbuf.XenstoreException("close", null, "EIO", "test over", null));
            }
        } finally {
            answers.shutdownNow();
        }
        return most.get();
    }

    @Test
    void overTheDeviceOneRequestIsInFlightAtATime() throws Exception {
        assertEquals(1, mostInFlight(true));
    }

    @Test
    void overASocketRequestsArePipelined() throws Exception {
        assertTrue(mostInFlight(false) > 1, "the peer never held two requests: the test would prove nothing");
    }
}
