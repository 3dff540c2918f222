package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.XenstoreException;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class XsWireTest {
    @Test
    void encodesHeaderInHostOrderThenPayload() {
        ByteBuffer frame = XsWire.encode(new XsWire.Message(XsWire.WRITE, 7, 3, XsWire.pathAndValue("/a", new byte[] {'v'})));
        assertEquals(16 + 4, frame.remaining());
        frame.order(XsWire.ORDER);
        assertEquals(XsWire.WRITE, frame.getInt(0));
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
        ByteBuffer frame = XsWire.encode(new XsWire.Message(XsWire.DIRECTORY_PART, -5, 9, new byte[4096]));
        XsWire.Header h = XsWire.decodeHeader(frame.slice(0, 16));
        assertEquals(new XsWire.Header(XsWire.DIRECTORY_PART, -5, 9, 4096), h);
    }

    @Test
    void refusesOversizedPayloadsBothWays() {
        assertEquals("E2BIG", assertThrows(XenstoreException.class,
                () -> XsWire.encode(new XsWire.Message(XsWire.READ, 1, 0, new byte[4097]))).errno());
        XenstoreException e = assertThrows(XenstoreException.class,
                () -> XsWire.decodeHeader(RawServer.header(XsWire.READ, 1, 0, 4097)));
        assertEquals("EPROTO", e.errno());
        assertEquals("EPROTO", assertThrows(XenstoreException.class,
                () -> XsWire.decodeHeader(RawServer.header(XsWire.READ, 1, 0, -1))).errno());
    }

    @Test
    void refusesUnknownTypes() {
        for (int type : new int[] {0, 20, 23, 1000}) {
            assertEquals("EPROTO", assertThrows(XenstoreException.class,
                    () -> XsWire.decodeHeader(RawServer.header(type, 1, 0, 0))).errno(), "type " + type);
        }
    }

    @Test
    void splitsStrings() {
        assertEquals(List.of("a", "", "bc"), XsWire.strings(new byte[] {'a', 0, 0, 'b', 'c', 0}, 0));
        assertEquals(List.of("a", "tail"), XsWire.strings(new byte[] {'a', 0, 't', 'a', 'i', 'l'}, 0));
        assertEquals(List.of(), XsWire.strings(new byte[0], 0));
        assertEquals("OK", new XsWire.Message(XsWire.WRITE, 0, 0, XsWire.payload("OK")).text());
    }
}
