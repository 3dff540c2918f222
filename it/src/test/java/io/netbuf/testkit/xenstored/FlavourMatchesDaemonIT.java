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
        assertEquals(String.join("\n", real), String.join("\n", fake));
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
        out.addAll(transactions(socket));
        return out;
    }

    /**
     * How each daemon decides a transaction's commit when another client changed the store meanwhile: the
     * transaction on one connection, the other client on a second one.
     */
    private static List<String> transactions(Path socket) throws IOException {
        List<String> out = new ArrayList<>();
        try (SocketChannel first = SocketChannel.open(StandardProtocolFamily.UNIX);
                SocketChannel second = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            first.connect(UnixDomainSocketAddress.of(socket));
            second.connect(UnixDomainSocketAddress.of(socket));
            Wire mine = new Wire(first);
            Wire other = new Wire(second);
            // {what the transaction does, what the other client does}: r = read, w = write, l = list /s
            String[][] scenarios = {
                {"w x", "w x"}, {"r x, w y", "w x"}, {"r x, w x", "w x"}, {"w x", "w y"}, {"r y, w x", "w x"},
                {"l, w x", "w z"}, {"(other first) r x, w y", "w x"},
            };
            for (String[] scenario : scenarios) {
                mine.call(XenstoreWire.WRITE, 0, XenstoreWire.pathAndValue("/s/x", new byte[] {'0'}));
                mine.call(XenstoreWire.WRITE, 0, XenstoreWire.pathAndValue("/s/y", new byte[] {'0'}));
                mine.call(XenstoreWire.RM, 0, XenstoreWire.payload("/s/z"));
                int tx = Integer.parseInt(mine.call(XenstoreWire.TRANSACTION_START, 0, XenstoreWire.payload("")).text());
                boolean otherFirst = scenario[0].startsWith("(other first)");
                if (otherFirst) {
                    act(other, 0, scenario[1], "other");
                }
                for (String step : scenario[0].replace("(other first) ", "").split(", ")) {
                    act(mine, tx, step, "tx");
                }
                if (!otherFirst) {
                    act(other, 0, scenario[1], "other");
                }
                String end = mine.call(XenstoreWire.TRANSACTION_END, tx, XenstoreWire.payload("T")).summary();
                out.add("tx [" + scenario[0] + "] other [" + scenario[1] + "]: " + end + ", x="
                        + mine.call(XenstoreWire.READ, 0, XenstoreWire.payload("/s/x")).text());
            }
        }
        return out;
    }

    private static void act(Wire wire, int tx, String step, String value) throws IOException {
        String node = step.length() > 2 ? "/s/" + step.substring(2) : "/s";
        switch (step.charAt(0)) {
            case 'r' -> wire.call(XenstoreWire.READ, tx, XenstoreWire.payload(node));
            case 'w' -> wire.call(XenstoreWire.WRITE, tx, XenstoreWire.pathAndValue(node,
                    value.getBytes(StandardCharsets.US_ASCII)));
            case 'l' -> wire.call(XenstoreWire.DIRECTORY, tx, XenstoreWire.payload("/s"));
            default -> throw new IllegalArgumentException(step);
        }
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
