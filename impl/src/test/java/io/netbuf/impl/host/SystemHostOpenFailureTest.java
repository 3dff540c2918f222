package io.netbuf.impl.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netbuf.XenstoreException;
import io.netbuf.impl.netlink.Rtnetlink;
import io.netbuf.impl.xenstore.XenstoreBackends;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A SystemHost that cannot be built closes what it had opened: no descriptor outlives the failure. */
class SystemHostOpenFailureTest {
    private static final int ATTEMPTS = 25;

    @TempDir
    Path dir;

    private static long openDescriptors() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.count();
        }
    }

    @Test
    void aXenstoreThatCannotBeOpenedLeavesNoRtnetlinkSocketOpen() throws IOException {
        assumeTrue(Rtnetlink.unavailableReason() == null, "needs rtnetlink: " + Rtnetlink.unavailableReason());
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs /proc/self/fd");
        SystemHost.Builder builder = SystemHost.builder().backend(SystemHost.Backend.NATIVE)
                .xenstore(XenstoreBackends.Mode.NATIVE)
                .environment(Map.of("XENSTORED_PATH", dir.resolve("no-xenstored").toString()))
                .lockDir(dir.resolve("locks"));
        assertThrows(XenstoreException.class, builder::build); // warm-up: JNA, class loading
        long before = openDescriptors();
        for (int i = 0; i < ATTEMPTS; i++) {
            assertThrows(XenstoreException.class, builder::build);
        }
        long after = openDescriptors();
        assertEquals(before, after, ATTEMPTS + " failed builds changed the open descriptors from " + before + " to "
                + after);
    }
}
