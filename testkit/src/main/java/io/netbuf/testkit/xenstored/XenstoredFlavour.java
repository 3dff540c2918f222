package io.netbuf.testkit.xenstored;

/**
 * Which of Xen's daemons a {@link XenstoredServer} behaves like where they differ (measured on Xen
 * 4.17's, see the compatibility kit's {@code XenstoreContract}), so that a consumer's tests can meet
 * either. {@code FlavourMatchesDaemonIT} (module {@code it}) sends the same raw requests to each flavour and
 * to the real daemon and compares the answers.
 */
public enum XenstoredFlavour {
    /**
     * The C {@code xenstored}: children in creation order, {@code rm /} is EINVAL, an unknown transaction id
     * is ENOENT, a directory too large for one reply is E2BIG and is listed with DIRECTORY_PART; a transaction
     * conflicts (EAGAIN) when a node it touched changed after it first touched it.
     */
    C_XENSTORED,
    /**
     * The OCaml {@code oxenstored}: children sorted, {@code @introduceDomain} and {@code @releaseDomain} listed
     * under {@code /}, {@code rm /} removes everything, an unknown transaction id is EIO, DIRECTORY_PART is
     * ENOSYS and a DIRECTORY reply may exceed 4096 bytes, a value over 2048 bytes is E2BIG (its quota applies
     * to dom0 too); a transaction conflicts only when a node it read or listed changed since it started, and
     * its blind writes (to nodes it did not read) win over others' writes instead of failing with EAGAIN.
     */
    OXENSTORED;

    /** Largest value oxenstored stores (its default {@code quota-maxsize}). */
    static final int OXENSTORED_MAX_VALUE = 2048;
}
