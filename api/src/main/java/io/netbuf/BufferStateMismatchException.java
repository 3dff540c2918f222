package io.netbuf;

import java.util.List;

/**
 * A buffer could not be adopted: the kernel's state does not match what the XenStore record (or
 * the vif's redirect) says was left there. Nothing was changed on the host. Carries every
 * difference found, so a caller can log them or decide to tear the buffer down instead.
 */
public final class BufferStateMismatchException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** What differs between the record and the kernel. */
    private final List<String> differences;

    private BufferStateMismatchException(String vif, String ifb, List<String> differences) {
        super("cannot adopt the buffer of " + vif + (ifb == null ? "" : " (IFB " + ifb + ")")
                + ": the host does not match its record: " + String.join("; ", differences)
                + "; tear it down (NetworkBuffer.forVif(vif).teardown(ifb)) or run reap, then attach anew",
                vif, ifb, null);
        this.differences = differences;
    }

    /**
     * Creates the exception.
     *
     * @param vif the vif whose buffer was to be adopted
     * @param ifb the IFB the record names, or null when none could be found
     * @param differences what differs, one entry each (at least one)
     * @return the exception
     */
    public static BufferStateMismatchException of(String vif, String ifb, List<String> differences) {
        if (differences == null || differences.isEmpty()) {
            throw new IllegalArgumentException("a mismatch needs at least one difference");
        }
        return new BufferStateMismatchException(vif, ifb, List.copyOf(differences));
    }

    /** @return each difference found between the record and the kernel, e.g. {@code "ifb0 is down"} */
    public List<String> differences() {
        return differences;
    }
}
