package io.netbuf.impl.xenstore;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.impl.exec.CommandRunner;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class XenstoreToolsEscapingTest {
    @Test
    void missingToolNamesTheDebianPackage(@org.junit.jupiter.api.io.TempDir java.nio.file.Path empty) {
        XenstoreTools tools = new XenstoreTools(new CommandRunner(), empty);
        io.netbuf.MissingToolException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.netbuf.MissingToolException.class, () -> tools.read("/a"));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("xenstore-utils"), e.getMessage());
    }

    @Test
    void badPathNeverRunsATool(@org.junit.jupiter.api.io.TempDir java.nio.file.Path empty) {
        XenstoreTools tools = new XenstoreTools(new CommandRunner(), empty);
        assertEquals("EINVAL", org.junit.jupiter.api.Assertions.assertThrows(io.netbuf.XenstoreException.class,
                () -> tools.write("-n", "v")).errno());
    }

    @Test
    void sanitisesLikeTheToolsExpect() {
        assertEquals("a b\\\\c\\t\\n\\r\\x01\\xc3\\xa9",
                XenstoreTools.sanitise("a b\\c\t\n\r\u0001\u00e9".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void unsanitisesWhatTheToolsPrint() {
        // as printed by Debian's xenstore-read for bytes 01 c3 a9 'a' 7f 00 'z'
        assertArrayEquals(new byte[] {1, (byte) 0xc3, (byte) 0xa9, 'a', 0x7f, 0, 'z'},
                XenstoreTools.unsanitise("\\001\\xc3\\xa9a\\x7f\\000z"));
        assertArrayEquals("back\\slash\ttab".getBytes(StandardCharsets.UTF_8),
                XenstoreTools.unsanitise("back\\\\slash\\ttab"));
        assertArrayEquals("dangling\\".getBytes(StandardCharsets.UTF_8), XenstoreTools.unsanitise("dangling\\"));
    }

    @Test
    void roundTripsEveryByte() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        assertArrayEquals(all, XenstoreTools.unsanitise(XenstoreTools.sanitise(all)));
    }

    @Test
    void mapsToolMessagesToErrnoNames() {
        assertEquals("ENOENT", XenstoreTools.errnoOf("xenstore-list: could not list path /x\n"));
        assertEquals("ENOENT", XenstoreTools.errnoOf("xenstore-rm: could not remove path /x/y\n"));
        assertEquals("EACCES", XenstoreTools.errnoOf("xenstore-write: could not write path /x\n"));
        assertEquals("EIO", XenstoreTools.errnoOf("xenstore-read: xs_open: No such file or directory\n"));
        CommandRunner.Result r = new CommandRunner.Result(List.of("xenstore-list", "--", "/x"), 1, "",
                "xenstore-list: could not list path /x\n");
        var e = XenstoreTools.failure("directory", "/x", r);
        assertEquals("ENOENT", e.errno());
        assertEquals(true, e.getMessage().contains("could not list path /x"));
    }
}
