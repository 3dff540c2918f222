package io.netbuf.spi;

/**
 * An action on a plug qdisc: the {@code action} field of the kernel's {@code tc_plug_qopt}.
 *
 * @param code 0 BUFFER, 1 RELEASE_ONE, 2 RELEASE_INDEFINITE, 3 LIMIT
 * @param limit the new limit in bytes, for {@link #LIMIT_CODE}; 0 otherwise
 */
public record PlugAction(int code, long limit) {
    /** {@code TCQ_PLUG_BUFFER}: close the current epoch. */
    public static final int BUFFER_CODE = 0;
    /** {@code TCQ_PLUG_RELEASE_ONE}: release the last closed epoch. */
    public static final int RELEASE_ONE_CODE = 1;
    /** {@code TCQ_PLUG_RELEASE_INDEFINITE}: drain and stop buffering until the next BUFFER. */
    public static final int RELEASE_INDEFINITE_CODE = 2;
    /** {@code TCQ_PLUG_LIMIT}: change the byte limit. */
    public static final int LIMIT_CODE = 3;

    /** Close the current epoch. */
    public static final PlugAction BUFFER = new PlugAction(BUFFER_CODE, 0);
    /** Release the last closed epoch. */
    public static final PlugAction RELEASE_ONE = new PlugAction(RELEASE_ONE_CODE, 0);
    /** Release everything and pass traffic through until the next BUFFER. */
    public static final PlugAction RELEASE_INDEFINITE = new PlugAction(RELEASE_INDEFINITE_CODE, 0);

    /**
     * Checks the code and limit.
     *
     * @param code 0 BUFFER, 1 RELEASE_ONE, 2 RELEASE_INDEFINITE, 3 LIMIT
     * @param limit the new limit in bytes, for {@link #LIMIT_CODE}; 0 otherwise
     */
    public PlugAction {
        if (code < BUFFER_CODE || code > LIMIT_CODE) {
            throw new IllegalArgumentException("unknown plug action " + code);
        }
        if (code == LIMIT_CODE ? (limit <= 0 || limit > 0xFFFF_FFFFL) : limit != 0) {
            throw new IllegalArgumentException("bad limit " + limit + " for plug action " + code);
        }
    }

    /**
     * @param bytes the new limit, 1..4294967295
     * @return the LIMIT action
     */
    public static PlugAction limit(long bytes) {
        return new PlugAction(LIMIT_CODE, bytes);
    }

    /** @return the action's name as in sch_plug, e.g. {@code "BUFFER"} or {@code "LIMIT 1000"} */
    public String label() {
        switch (code) {
            case BUFFER_CODE:
                return "BUFFER";
            case RELEASE_ONE_CODE:
                return "RELEASE_ONE";
            case RELEASE_INDEFINITE_CODE:
                return "RELEASE_INDEFINITE";
            default:
                return "LIMIT " + limit;
        }
    }
}
