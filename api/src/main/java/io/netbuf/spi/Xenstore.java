package io.netbuf.spi;

import java.util.function.Function;

/** Port: the XenStore database. */
public interface Xenstore extends XenstoreOps {
    /**
     * Runs {@code body} in a transaction and commits it, retrying the whole body when the
     * commit loses a race (EAGAIN). Backends without transactions (the command-line tools) run
     * the body directly; the host lock then provides the exclusion.
     *
     * @param body the work; may run more than once, so it must have no side effects outside the
     *     operations it is given
     * @param <T> the result type
     * @return the result of the committed run
     */
    <T> T transaction(Function<XenstoreOps, T> body);

    /** @return whether {@link #transaction} is atomic on this backend */
    boolean isTransactional();
}
