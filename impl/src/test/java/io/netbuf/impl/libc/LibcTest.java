package io.netbuf.impl.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one libc binding: calls, errno, the move of sendto/recvfrom to direct mapping, native memory. */
class LibcTest {
    private static final int EBADF = 9;

    @Test
    void bindsOnThisHost() {
        assertNull(Libc.unavailableReason());
    }

    @Test
    void aFailedCallLeavesItsErrno() {
        assertEquals(-1, Libc.close(-1));
        assertEquals(EBADF, Libc.errno());
        assertEquals(-1, Libc.open("/nonexistent/netbuf-libc-test", Libc.O_RDONLY | Libc.O_CLOEXEC, 0));
        assertEquals(Errno.ENOENT, Libc.errno());
    }

    @Test
    void sendAndReceiveSwitchToDirectMappingAfterTheThresholdAndKeepWorking() {
        for (int i = 0; i <= Libc.DIRECT_AFTER_CALLS + 1; i++) {
            assertEquals(-1, Libc.sendto(-1, 0L, 0L, 0, 0L, 0));
            assertEquals(EBADF, Libc.errno(), "call " + i);
            assertEquals(-1, Libc.recvfrom(-1, 0L, 0L, 0, 0L, 0L));
            assertEquals(EBADF, Libc.errno(), "call " + i);
        }
        assertTrue(Libc.isDirect());
    }

    @Test
    void readsIntoNativeMemoryByAddress(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("f"), "netbuf");
        try (NativeMemory memory = new NativeMemory(16)) {
            assertEquals(ByteOrder.nativeOrder(), memory.buffer().order());
            assertEquals(0L, memory.buffer().getLong(0), "zeroed");
            int fd = Libc.open(file.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            try {
                assertEquals(6, Libc.read(fd, memory.address(), 16));
            } finally {
                Libc.close(fd);
            }
            byte[] read = new byte[6];
            memory.buffer().get(0, read);
            assertEquals("netbuf", new String(read, StandardCharsets.US_ASCII));
            memory.clear();
            assertEquals(0L, memory.buffer().getLong(0), "cleared");
        }
    }

    @Test
    void noFollowRefusesASymbolicLink(@TempDir Path dir) throws IOException {
        Path link = Files.createSymbolicLink(dir.resolve("link"), dir.resolve("absent"));
        int flags = Libc.O_RDWR | Libc.O_CREAT | Libc.O_NOFOLLOW | Libc.O_CLOEXEC;
        assertEquals(-1, Libc.open(link.toString(), flags, 0600));
        assertEquals(Errno.ELOOP, Libc.errno());
        assertTrue(Files.notExists(dir.resolve("absent")), "the link's target was not created");
    }

    @Test
    void renameExchangeSwapsTwoNamesAndFchmodSetsTheMode(@TempDir Path dir) throws IOException {
        Path a = Files.writeString(dir.resolve("a"), "a");
        Path b = Files.writeString(dir.resolve("b"), "b");
        assertEquals(0, Libc.renameat2(a.toString(), b.toString(), Libc.RENAME_EXCHANGE));
        assertEquals("b", Files.readString(a));
        assertEquals("a", Files.readString(b));
        assertEquals(-1, Libc.renameat2(dir.resolve("absent").toString(), b.toString(), Libc.RENAME_EXCHANGE));
        assertEquals(Errno.ENOENT, Libc.errno());
        int fd = Libc.open(a.toString(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
        try {
            assertEquals(0, Libc.fchmod(fd, 0640));
        } finally {
            Libc.close(fd);
        }
        assertEquals(0640, (Integer) Files.getAttribute(a, "unix:mode") & 07777);
    }

    @Test
    void geteuidIsTheEffectiveUidProcShows() throws IOException {
        String uids = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                .findFirst().orElseThrow();
        assertEquals(uids.split("\\s+")[2], Integer.toString(Libc.geteuid()));
    }

    @Test
    void errnoNamesAndDescribesNumbers() {
        assertEquals("ENODEV (No such device)", Errno.describe(Errno.ENODEV));
        assertEquals("errno 1234", Errno.describe(1234));
        assertEquals(Errno.EAGAIN, Errno.EWOULDBLOCK);
        assertEquals("No such file or directory", Errno.strerror(Errno.ENOENT));
    }
}
