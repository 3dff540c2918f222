package io.netbuf;

/**
 * A buffer is already driven by a live handle in this JVM, so a second handle on it (e.g. through
 * {@link NetworkBuffer.Builder#adopt()}) is refused: two handles would each track their own epochs
 * and send the plug actions the other does not expect. Nothing was changed on the host.
 */
public final class BufferInUseException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The live handle that drives the buffer. */
    private final String owner;

    private BufferInUseException(String vif, String ifb, String owner) {
        super("cannot adopt the buffer of " + vif + (ifb == null ? "" : " (IFB " + ifb + ")")
                + ": a live handle in this JVM already owns it (" + owner
                + "); use that handle, or close it before adopting", vif, ifb, null);
        this.owner = owner;
    }

    /**
     * Creates the exception.
     *
     * @param vif the vif whose buffer was to be adopted
     * @param ifb the IFB concerned, or null when the clash is on the vif alone
     * @param owner the live handle that owns it, as its {@code toString()} describes it
     * @return the exception
     */
    public static BufferInUseException of(String vif, String ifb, String owner) {
        return new BufferInUseException(vif, ifb, owner);
    }

    /** @return the live handle that owns the buffer, as its {@code toString()} describes it */
    public String owner() {
        return owner;
    }
}
