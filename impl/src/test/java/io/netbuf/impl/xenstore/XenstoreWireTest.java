package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.XenstoreException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class XenstoreWireTest {
    @Test
    void encodesHeaderInHostOrderThenPayload() {
        ByteBuffer frame = XenstoreWire.encode(
                new XenstoreWire.Message(XenstoreWire.WRITE, 7, 3, XenstoreWire.pathAndValue("/a", new byte[] {'v'})));
        assertEquals(16 + 4, frame.remaining());
        frame.order(XenstoreWire.ORDER);
        assertEquals(XenstoreWire.WRITE, frame.getInt(0));
        assertEquals(7, frame.getInt(4));
        assertEquals(3, frame.getInt(8));
        assertEquals(4, frame.getInt(12));
        byte[] payload = new byte[4];
        frame.position(16);
        frame.get(payload);
        assertArrayEquals(new byte[] {'/', 'a', 0, 'v'}, payload);
    }

    @Test
    void roundTripsHeader() {
        ByteBuffer frame = XenstoreWire.encode(
                new XenstoreWire.Message(XenstoreWire.DIRECTORY_PART, -5, 9, new byte[4096]));
        XenstoreWire.Header h = XenstoreWire.decodeHeader(frame.slice(0, 16));
        assertEquals(new XenstoreWire.Header(XenstoreWire.DIRECTORY_PART, -5, 9, 4096), h);
    }

    @Test
    void refusesOversizedPayloadsBothWays() {
        assertEquals("E2BIG", assertThrows(XenstoreException.class,
                () -> XenstoreWire.encode(new XenstoreWire.Message(XenstoreWire.READ, 1, 0, new byte[4097]))).errno());
        XenstoreException e = assertThrows(XenstoreException.class,
                () -> XenstoreWire.decodeHeader(RawServer.header(XenstoreWire.READ, 1, 0, 4097)));
        assertEquals("EPROTO", e.errno());
        assertEquals("EPROTO", assertThrows(XenstoreException.class,
                () -> XenstoreWire.decodeHeader(RawServer.header(XenstoreWire.READ, 1, 0, -1))).errno());
    }

    @Test
    void refusesUnknownTypes() {
        for (int type : new int[] {0, 20, 23, 1000}) {
            assertEquals("EPROTO", assertThrows(XenstoreException.class,
                    () -> XenstoreWire.decodeHeader(RawServer.header(type, 1, 0, 0))).errno(), "type " + type);
        }
    }

    @Test
    void splitsStrings() {
        assertEquals(List.of("a", "", "bc"), XenstoreWire.strings(new byte[] {'a', 0, 0, 'b', 'c', 0}, 0));
        assertEquals(List.of("a", "tail"), XenstoreWire.strings(new byte[] {'a', 0, 't', 'a', 'i', 'l'}, 0));
        assertEquals(List.of(), XenstoreWire.strings(new byte[0], 0));
        assertEquals("OK", new XenstoreWire.Message(XenstoreWire.WRITE, 0, 0, XenstoreWire.payload("OK")).text());
    }
}
