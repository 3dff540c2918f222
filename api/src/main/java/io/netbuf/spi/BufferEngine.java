package io.netbuf.spi;

import io.netbuf.BufferGroup;
import io.netbuf.NetworkBuffer;
import io.netbuf.ReapReport;
import java.util.List;

/**
 * The setup/teardown engine behind {@link NetworkBuffer}. netbuf-impl registers one with
 * {@link java.util.ServiceLoader}; the API finds it there.
 */
public interface BufferEngine {
    /**
     * Installs a buffer on {@code host}; on failure undoes every step before throwing.
     *
     * @param spec the validated configuration
     * @param host the host
     * @return the open buffer
     */
    NetworkBuffer attach(BufferSpec spec, Host host);

    /**
     * Tears down a buffer this process did not attach, from its description. Frees
     * {@code ifb} only when the xenbus record names it.
     *
     * @param spec the buffer's vif and xenbus path
     * @param ifb the IFB the caller believes it uses, or null
     * @param host the host
     */
    void teardown(BufferSpec spec, String ifb, Host host);

    /**
     * Takes over a buffer left on {@code host} by an earlier run, after checking that the kernel
     * matches its record; see {@link NetworkBuffer.Builder#adopt()}.
     *
     * @param spec the buffer's vif, xenbus path and limit
     * @param host the host
     * @return the open buffer
     * @throws io.netbuf.BufferStateMismatchException if the host does not match the record
     */
    NetworkBuffer adopt(BufferSpec spec, Host host);

    /**
     * Scans {@code host} for what earlier buffers left behind; see {@link NetworkBuffer#reap(Host)}.
     *
     * @param host the host
     * @return the findings, ready to apply
     */
    ReapReport reap(Host host);

    /**
     * @param members open buffers attached by this engine, on one host (may hold nulls, which the
     *     engine refuses)
     * @return a group that drives them together
     * @throws io.netbuf.InvalidConfigurationException for a null, closed, repeated or foreign member
     */
    BufferGroup group(List<NetworkBuffer> members);
}
