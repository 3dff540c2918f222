package io.netbuf.impl.libc;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import java.util.Objects;

/**
 * libc functions bound through JNA {@link Function} handles, all or none, for {@link Libc}: 64-bit
 * Linux only. Binding never throws; where it fails, {@link #unavailableReason()} says why and no
 * function is bound. Handles, not a JNA interface proxy or direct mapping: both generate classes
 * at run time, several milliseconds of every short-lived process (a hotplug call).
 */
final class LibcFunctions {
    private final Function[] functions;
    private final String unavailableReason;

    private LibcFunctions(Function[] functions, String unavailableReason) {
        this.functions = functions;
        this.unavailableReason = unavailableReason;
    }

    /**
     * @param user what needs the functions, for the reason when they cannot be bound (e.g. "rtnetlink")
     * @param names the libc functions
     * @return the binding, with its functions in the order of {@code names}, or the reason it failed
     */
    static LibcFunctions bind(String user, String... names) {
        Objects.requireNonNull(user, "user");
        Function[] bound = new Function[names.length];
        if (!Platform.isLinux()) {
            return new LibcFunctions(bound, user + " needs Linux (this is " + System.getProperty("os.name") + ")");
        }
        if (Native.POINTER_SIZE != 8 || Native.LONG_SIZE != 8) {
            return new LibcFunctions(bound, user + " needs a 64-bit JVM");
        }
        try {
            NativeLibrary c = NativeLibrary.getInstance(Platform.C_LIBRARY_NAME);
            for (int i = 0; i < names.length; i++) {
                bound[i] = c.getFunction(names[i]);
            }
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return new LibcFunctions(new Function[names.length], "libc could not be bound through JNA: " + e.getMessage());
        }
        return new LibcFunctions(bound, null);
    }

    /**
     * @param index the position of the function in the names given to {@link #bind}
     * @return its handle, or null when the binding failed
     */
    Function function(int index) {
        return functions[index];
    }

    /** @return why the functions could not be bound, or null when they were */
    String unavailableReason() {
        return unavailableReason;
    }
}
