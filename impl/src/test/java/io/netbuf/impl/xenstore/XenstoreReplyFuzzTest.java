package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netbuf.XenstoreException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Hostile xenstored replies: random and mutated frames, bounded in count and time. The decoder and
 * the client must answer every one with a {@link XenstoreException} (or a value), never hang past
 * their timeout, and never allocate for a payload the protocol does not allow (over 4096 bytes).
 */
class XenstoreReplyFuzzTest {
    private static final long SEED = 0x5EED_0009L;
    private static final int HEADER_CASES = 200_000;
    private static final int CLIENT_CASES = 400;
    /** Generous: one 4 KiB payload plus the strings split out of it and the exception's text. */
    private static final long MAX_BYTES_PER_HEADER = 4_096;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void randomAndMutatedHeadersAreRefusedWithEprotoBeforeAnyAllocationForTheirPayload() {
        Random random = new Random(SEED);
        ByteBuffer valid = RawServer.header(XenstoreWire.READ, 7, 0, 12);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            int refusedHere = 0;
            long before = allocatedBytes();
            for (int i = 0; i < HEADER_CASES; i++) {
                ByteBuffer h = ByteBuffer.allocate(XenstoreWire.HEADER_SIZE).order(ByteOrder.nativeOrder());
                if (i % 2 == 0) {
                    random.ints(4).forEach(h::putInt);
                } else {
                    h.put(valid.duplicate().rewind());
                    h.put(random.nextInt(XenstoreWire.HEADER_SIZE), (byte) random.nextInt());
                }
                try {
                    XenstoreWire.Header header = XenstoreWire.decodeHeader(h.rewind());
                    assertTrue(header.length() >= 0 && header.length() <= XenstoreWire.MAX_PAYLOAD, header.toString());
                    assertTrue(XenstoreWire.isKnownType(header.type()), header.toString());
                } catch (XenstoreException e) {
                    assertTrue(e.errno().equals("EPROTO"), e.toString());
                    refusedHere++;
                }
            }
            long perCase = (allocatedBytes() - before) / HEADER_CASES;
            assertTrue(perCase < MAX_BYTES_PER_HEADER, perCase + " bytes allocated per header");
            assertTrue(refusedHere > HEADER_CASES / 3, "random headers are mostly refused: " + refusedHere);
            System.out.printf("xenstore header fuzz: %d cases, %d refused, %d bytes allocated per case%n",
                    HEADER_CASES, refusedHere, perCase);
        });
    }

    @Test
    void randomPayloadsSplitIntoStringsWithoutFailing() {
        Random random = new Random(SEED + 1);
        for (int i = 0; i < 20_000; i++) {
            byte[] payload = new byte[random.nextInt(XenstoreWire.MAX_PAYLOAD + 1)];
            random.nextBytes(payload);
            List<String> strings = XenstoreWire.strings(payload, 0);
            int total = strings.stream().mapToInt(s -> s.getBytes(StandardCharsets.UTF_8).length).sum();
            assertTrue(strings.size() <= payload.length + 1 && total <= payload.length * 3, "bounded by the payload");
        }
    }

    /** What the hostile server sends for one request. */
    private enum Mischief {
        RANDOM_BYTES, WRONG_REQ_ID, WRONG_TYPE, OVERSIZED_LENGTH, NEGATIVE_LENGTH, FLIPPED_PAYLOAD,
        TRUNCATED_THEN_CLOSED, ERROR_GARBAGE, UNKNOWN_TYPE
    }

    @Test
    void theClientAnswersEveryHostileReplyWithATypedErrorAndNoHang() throws Exception {
        Random random = new Random(SEED + 2);
        AtomicInteger next = new AtomicInteger();
        Mischief[] kinds = Mischief.values();
        try (RawServer server = new RawServer((m, c) -> misbehave(kinds[next.get() % kinds.length], random, m, c))) {
            try (XenstoreClient client = XenstoreClient.connect(server.socket(), Duration.ofMillis(150))) {
                int[] outcomes = new int[3]; // value, typed error, (never) other
                assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
                    for (int i = 0; i < CLIENT_CASES; i++) {
                        next.set(i);
                        try {
                            switch (i % 4) {
                                case 0 -> client.read("/libxl/5/remus/netbuf/0/ifb");
                                case 1 -> client.list("/local/domain");
                                case 2 -> client.write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
                                default -> client.transaction(ops -> ops.read("/local/domain/5/name"));
                            }
                            outcomes[0]++;
                        } catch (XenstoreException e) {
                            outcomes[1]++;
                        } catch (RuntimeException e) {
                            fail("case " + i + " (" + kinds[i % kinds.length] + "): untyped " + e, e);
                        }
                    }
                });
                System.out.printf("xenstore client fuzz: %d cases, %d answered, %d typed errors, %d connections%n",
                        CLIENT_CASES, outcomes[0], outcomes[1], server.accepted.get());
                assertTrue(outcomes[1] > CLIENT_CASES / 2, "most hostile replies are errors: " + outcomes[1]);
            }
        }
    }

    private static void misbehave(Mischief kind, Random random, XenstoreWire.Message m, SocketChannel c)
            throws java.io.IOException {
        byte[] body = "ifb0".getBytes(StandardCharsets.US_ASCII);
        switch (kind) {
            case RANDOM_BYTES -> {
                byte[] junk = new byte[1 + random.nextInt(64)];
                random.nextBytes(junk);
                RawServer.write(c, ByteBuffer.wrap(junk));
            }
            case WRONG_REQ_ID -> RawServer.reply(c, m.type(), m.reqId() + 1 + random.nextInt(1000), m.txId(), body);
            case WRONG_TYPE -> RawServer.reply(c, m.type() == XenstoreWire.READ ? XenstoreWire.WRITE : XenstoreWire.READ,
                    m.reqId(), m.txId(), body);
            case OVERSIZED_LENGTH -> RawServer.write(c, RawServer.header(m.type(), m.reqId(), m.txId(),
                    XenstoreWire.MAX_PAYLOAD + 1 + random.nextInt(Integer.MAX_VALUE - XenstoreWire.MAX_PAYLOAD - 1)));
            case NEGATIVE_LENGTH -> RawServer.write(c, RawServer.header(m.type(), m.reqId(), m.txId(),
                    -1 - random.nextInt(Integer.MAX_VALUE)));
            case FLIPPED_PAYLOAD -> {
                byte[] p = new byte[random.nextInt(XenstoreWire.MAX_PAYLOAD + 1)];
                random.nextBytes(p);
                RawServer.reply(c, m.type(), m.reqId(), m.txId(), p);
            }
            case TRUNCATED_THEN_CLOSED -> {
                ByteBuffer h = RawServer.header(m.type(), m.reqId(), m.txId(), 100);
                RawServer.write(c, h);
                RawServer.write(c, ByteBuffer.wrap(new byte[random.nextInt(100)]));
                c.close();
            }
            case ERROR_GARBAGE -> {
                byte[] p = new byte[random.nextInt(40)];
                random.nextBytes(p);
                RawServer.reply(c, XenstoreWire.ERROR, m.reqId(), m.txId(), p);
            }
            default -> RawServer.reply(c, 1000 + random.nextInt(1 << 20), m.reqId(), m.txId(), body);
        }
    }
}
