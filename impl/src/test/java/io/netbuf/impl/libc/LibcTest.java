package io.netbuf.impl.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The one libc binding: every call bound, errno readable, sendto/recvfrom moving to direct mapping. */
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
    void errnoNamesAndDescribesNumbers() {
        assertEquals("ENODEV (No such device)", Errno.describe(Errno.ENODEV));
        assertEquals("errno 1234", Errno.describe(1234));
        assertEquals(Errno.EAGAIN, Errno.EWOULDBLOCK);
        assertEquals("No such file or directory", Errno.strerror(Errno.ENOENT));
    }
}
