package io.netbuf;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Every IFB on the host is in use and netbuf was not allowed to (or could not) create another. */
public final class NoFreeIfbException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** Each IFB looked at and why it was taken. */
    private final Map<String, String> busy;

    /**
     * @param vif the vif that needed an IFB
     * @param busy each IFB looked at, with the reason it was not free (in the order looked at)
     * @param cause why creating a new IFB failed, or null when creating was not allowed
     */
    public NoFreeIfbException(String vif, Map<String, String> busy, Throwable cause) {
        super("no free IFB device for " + vif + (busy.isEmpty() ? " (the host has none)" : " (" + busy + ")")
                + (cause == null
                        ? "; load the ifb module with more devices (modprobe ifb numifbs=N) or allow netbuf to create one"
                        : "; creating one failed: " + cause.getMessage()),
                vif, null, cause);
        this.busy = Collections.unmodifiableMap(new LinkedHashMap<>(busy));
    }

    /** @return each IFB looked at and why it was taken */
    public Map<String, String> busy() {
        return busy;
    }
}
