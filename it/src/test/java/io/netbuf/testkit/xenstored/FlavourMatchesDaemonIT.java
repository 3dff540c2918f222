package io.netbuf.testkit.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.impl.xenstore.XenstoreWire;
import io.netbuf.it.xenstored.RealXenstored;
import io.netbuf.it.xenstored.RealXenstored.Flavour;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The testkit xenstored in each {@link XenstoredFlavour} answers, byte for byte at the protocol level,
 * like the Xen daemon it stands for, wherever the two daemons differ: the same raw requests go to
 * both and their answers are compared.
 */
@Timeout(60)
class FlavourMatchesDaemonIT {

    @ParameterizedTest
    @EnumSource(Flavour.class)
    void theTestkitFlavourAnswersLikeTheDaemon(Flavour flavour) throws IOException {
        XenstoredFlavour kit = flavour == Flavour.C ? XenstoredFlavour.C_XENSTORED : XenstoredFlavour.OXENSTORED;
        List<String> real;
        try (RealXenstored daemon = RealXenstored.start(flavour)) {
            real = probe(daemon.socketPath());
        }
        List<String> fake;
        try (XenstoredServer server = XenstoredServer.start(kit)) {
            fake = probe(server.socketPath());
        }
        assertEquals(real, fake);
    }

    /** The requests where the daemons differ, and what came back (type, errno or a summary of the payload). */
    private static List<String> probe(Path socket) throws IOException {
        List<String> out = new ArrayList<>();
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            Wire wire = new Wire(ch);
            out.add("read in unknown tx: " + wire.call(XenstoreWire.READ, 77, XenstoreWire.payload("/tool")).summary());
            out.add("end unknown tx: " + wire.call(XenstoreWire.TRANSACTION_END, 77, XenstoreWire.payload("T")).summary());
            for (String child : List.of("zeta", "alpha", "mid")) {
                wire.call(XenstoreWire.WRITE, 0, XenstoreWire.pathAndValue("/d/" + child, new byte[0]));
            }
            out.add("directory order: " + wire.call(XenstoreWire.DIRECTORY, 0, XenstoreWire.payload("/d")).strings());
            out.add("directory part: " + wire.call(XenstoreWire.DIRECTORY_PART, 0, XenstoreWire.payload("/d", "0")).kind());
            byte[] value = new byte[2049];
            java.util.Arrays.fill(value, (byte) 'v');
            out.add("value of 2049 bytes: " + wire.call(XenstoreWire.WRITE, 0, XenstoreWire.pathAndValue("/v", value)).summary());
            int start = Integer.parseInt(wire.call(XenstoreWire.TRANSACTION_START, 0, XenstoreWire.payload("")).text());
            for (int d = 1; d <= 1200; d++) {
                wire.call(XenstoreWire.WRITE, start, XenstoreWire.pathAndValue("/big/" + d, new byte[0]));
            }
            wire.call(XenstoreWire.TRANSACTION_END, start, XenstoreWire.payload("T"));
            Reply big = wire.call(XenstoreWire.DIRECTORY, 0, XenstoreWire.payload("/big"));
            out.add("directory of 1200: " + big.kind() + (big.type == XenstoreWire.DIRECTORY ? " " + big.strings().size() : ""));
            List<String> top = wire.call(XenstoreWire.DIRECTORY, 0, XenstoreWire.payload("/")).strings();
            out.add("special nodes under /: " + top.stream().filter(n -> n.startsWith("@")).toList());
            out.add("rm /: " + wire.call(XenstoreWire.RM, 0, XenstoreWire.payload("/")).summary());
            List<String> after = wire.call(XenstoreWire.DIRECTORY, 0, XenstoreWire.payload("/")).strings();
            out.add("/d after rm /: " + after.contains("d"));
        }
        return out;
    }

    /** One reply frame. */
    private record Reply(int type, byte[] payload) {
        String text() {
            return new XenstoreWire.Message(type, 0, 0, payload).text();
        }

        List<String> strings() {
            return XenstoreWire.strings(payload, 0);
        }

        String kind() {
            return type == XenstoreWire.ERROR ? "ERROR " + text() : XenstoreWire.typeName(type);
        }

        String summary() {
            return type == XenstoreWire.ERROR ? "ERROR " + text() : XenstoreWire.typeName(type) + " " + text();
        }
    }

    /** A blocking request/reply exchange on one connection (no watches, so replies come in order). */
    private static final class Wire {
        private final SocketChannel ch;
        private int nextId = 1;

        Wire(SocketChannel ch) {
            this.ch = ch;
        }

        Reply call(int type, int tx, byte[] payload) throws IOException {
            ByteBuffer frame = ByteBuffer.allocate(16 + payload.length).order(XenstoreWire.ORDER);
            frame.putInt(type).putInt(nextId++).putInt(tx).putInt(payload.length).put(payload).flip();
            while (frame.hasRemaining()) {
                ch.write(frame);
            }
            ByteBuffer header = ByteBuffer.allocate(16).order(XenstoreWire.ORDER);
            readFully(header);
            int replyType = header.getInt(0);
            int len = header.getInt(12);
            if (len < 0 || len > XenstoreWire.MAX_DIRECTORY_REPLY) {
                throw new IOException("reply length " + len);
            }
            ByteBuffer body = ByteBuffer.allocate(len);
            readFully(body);
            return new Reply(replyType, body.array());
        }

        private void readFully(ByteBuffer buf) throws IOException {
            while (buf.hasRemaining()) {
                if (ch.read(buf) < 0) {
                    throw new IOException("connection closed after " + buf.position() + " bytes: "
                            + new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1));
                }
            }
        }
    }
}
