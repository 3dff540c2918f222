package io.netbuf.impl.libc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Binding libc functions: all or none, and a reason when none. */
class LibcFunctionsTest {
    @Test
    void bindsEveryNamedFunctionInOrder() {
        LibcFunctions libc = LibcFunctions.bind("test", "getpid", "close");
        assertNull(libc.unavailableReason());
        assertEquals((int) ProcessHandle.current().pid(), libc.function(0).invokeInt(new Object[0]));
        assertNotNull(libc.function(1));
    }

    @Test
    void aMissingFunctionBindsNoneAndSaysWhy() {
        LibcFunctions libc = LibcFunctions.bind("test", "getpid", "netbuf_no_such_function");
        assertTrue(libc.unavailableReason().startsWith("libc could not be bound through JNA: "),
                libc.unavailableReason());
        assertTrue(libc.unavailableReason().contains("netbuf_no_such_function"), libc.unavailableReason());
        assertNull(libc.function(0));
        assertNull(libc.function(1));
    }
}
