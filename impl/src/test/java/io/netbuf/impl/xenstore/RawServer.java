package io.netbuf.impl.xenstore;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A bare unix-socket peer for client tests: hands each decoded request to a script that writes raw bytes back. */
final class RawServer implements AutoCloseable {
    /** What the server does with one request on one connection. */
    interface Script {
        void onRequest(XenstoreWire.Message request, SocketChannel channel) throws IOException;
    }

    private final Path dir;
    private final Path socket;
    private final ServerSocketChannel server;
    private final List<SocketChannel> connections = new CopyOnWriteArrayList<>();
    final AtomicInteger accepted = new AtomicInteger();

    RawServer(Script script) throws IOException {
        dir = Files.createTempDirectory("rawxs");
        socket = dir.resolve("socket");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread t = new Thread(() -> {
            while (true) {
                SocketChannel c;
                try {
                    c = server.accept();
                } catch (IOException e) {
                    return;
                }
                accepted.incrementAndGet();
                connections.add(c);
                Thread r = new Thread(() -> serve(c, script), "raw-xs-conn");
                r.setDaemon(true);
                r.start();
            }
        }, "raw-xs-accept");
        t.setDaemon(true);
        t.start();
    }

    Path socket() {
        return socket;
    }

    private static void serve(SocketChannel c, Script script) {
        try {
            while (true) {
                ByteBuffer h = ByteBuffer.allocate(XenstoreWire.HEADER_SIZE);
                if (!readFully(c, h)) {
                    return;
                }
                XenstoreWire.Header header = XenstoreWire.decodeHeader(h);
                ByteBuffer body = ByteBuffer.allocate(header.length());
                if (!readFully(c, body)) {
                    return;
                }
                script.onRequest(
                        new XenstoreWire.Message(header.type(), header.reqId(), header.txId(), body.array()), c);
            }
        } catch (IOException e) {
            // peer gone
        } finally {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private static boolean readFully(SocketChannel c, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            if (c.read(b) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Writes one well-formed frame. */
    static void reply(SocketChannel c, int type, int reqId, int txId, byte[] payload) throws IOException {
        write(c, XenstoreWire.encode(new XenstoreWire.Message(type, reqId, txId, payload)));
    }

    /** Answers a request with its first argument (the path) as the value. */
    static void echo(XenstoreWire.Message m, SocketChannel c) throws IOException {
        reply(c, m.type(), m.reqId(), m.txId(), m.strings().get(0).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes raw bytes. */
    static void write(SocketChannel c, ByteBuffer bytes) throws IOException {
        synchronized (c) {
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
        }
    }

    /** A header with arbitrary fields, host byte order. */
    static ByteBuffer header(int type, int reqId, int txId, int len) {
        ByteBuffer b = ByteBuffer.allocate(XenstoreWire.HEADER_SIZE).order(XenstoreWire.ORDER);
        b.putInt(type).putInt(reqId).putInt(txId).putInt(len);
        return b.flip();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SocketChannel c : connections) {
            c.close();
        }
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
