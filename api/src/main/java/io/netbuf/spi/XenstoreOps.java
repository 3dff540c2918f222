package io.netbuf.spi;

import java.util.List;
import java.util.Optional;

/**
 * The XenStore requests netbuf uses, with xenstored's semantics. Failures are
 * {@link io.netbuf.XenstoreException} with the daemon's errno name.
 */
public interface XenstoreOps {
    /**
     * @param path an absolute path
     * @return its value, or empty when the node does not exist
     */
    Optional<String> read(String path);

    /**
     * Writes a value, creating missing parents.
     *
     * @param path an absolute path
     * @param value the value
     */
    void write(String path, String value);

    /**
     * Creates a node (and missing parents) with an empty value; no-op if it exists.
     *
     * @param path an absolute path
     */
    void mkdir(String path);

    /**
     * @param path an absolute path
     * @return the names of its children, in xenstored's order
     * @throws io.netbuf.XenstoreException ENOENT when the node does not exist
     */
    List<String> list(String path);

    /**
     * @param path an absolute path
     * @return whether the node exists
     */
    boolean exists(String path);

    /**
     * Removes a node and its subtree. Removing a missing node succeeds when its parent exists
     * (as xenstored does) and fails with ENOENT otherwise.
     *
     * @param path an absolute path
     */
    void rm(String path);
}
