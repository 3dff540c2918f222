package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StdStreamsTest {
    @TempDir
    Path fdinfo;

    @Test
    void aDescriptorOpenForWritingIsUsable() throws IOException {
        Files.writeString(fdinfo.resolve("1"), "pos:\t0\nflags:\t0100001\nmnt_id:\t25\n");   // O_WRONLY
        Files.writeString(fdinfo.resolve("2"), "pos:\t0\nflags:\t02\nmnt_id:\t25\n");        // O_RDWR (a tty)
        assertTrue(StdStreams.writable(fdinfo, 1));
        assertTrue(StdStreams.writable(fdinfo, 2));
    }

    @Test
    void aClosedDescriptorOrOneTheJvmOpenedReadOnlyIsNot() throws IOException {
        // stdio closed: the JVM's jar took descriptor 2, read-only
        Files.writeString(fdinfo.resolve("2"), "pos:\t0\nflags:\t02100000\nmnt_id:\t25\n");
        assertFalse(StdStreams.writable(fdinfo, 2));
        assertFalse(StdStreams.writable(fdinfo, 1), "descriptor 1 not there at all");
        Files.writeString(fdinfo.resolve("1"), "pos:\t0\n");
        assertFalse(StdStreams.writable(fdinfo, 1), "no flags line");
    }

    @Test
    void withoutProcfsTheConventionalSetupIsAssumed() {
        assertTrue(StdStreams.writable(fdinfo.resolve("missing"), 2));
    }

    @Test
    void thisTestProcessHasItsStandardStreams() {
        assertTrue(StdStreams.writable(Path.of("/proc/self/fdinfo"), 1));
        assertTrue(StdStreams.writable(Path.of("/proc/self/fdinfo"), 2));
    }
}
