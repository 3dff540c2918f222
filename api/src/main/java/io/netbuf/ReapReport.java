package io.netbuf;

import java.util.List;

/**
 * What {@link NetworkBuffer#reap(io.netbuf.spi.Host)} found left behind on a host. The scan ran
 * under the host lock, so no attach was half done while it looked; live buffers are never
 * reported.
 */
public interface ReapReport {
    /** @return what was found, claims first, then redirects, then plugs */
    List<ReapFinding> findings();

    /** @return true when nothing was found */
    default boolean isClean() {
        return findings().isEmpty();
    }

    /**
     * Removes what was found. Under the host lock the host is scanned again and only findings seen
     * by both scans are removed (something fixed or reused in between is left alone). Every removal
     * is tried even when one fails; the first failure is then thrown with the others suppressed.
     *
     * @return the findings removed
     * @throws LockTimeoutException if the host lock is not granted within 30 s
     * @throws NetworkBufferException the first removal that failed
     */
    List<ReapFinding> apply();
}
