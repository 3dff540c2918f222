package io.netbuf.spi;

import io.netbuf.XenstoreException;
import java.util.ArrayList;
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

    /**
     * Reads many nodes. Backends that can pipeline (the native client) send every request before
     * waiting for the replies; the result is the same as calling {@link #read(String)} for each path in order.
     *
     * @param paths absolute paths
     * @return each node's value, or empty where the node does not exist, in the order of {@code paths}
     */
    default List<Optional<String>> readAll(List<String> paths) {
        return readEach(this, paths);
    }

    /**
     * Lists many nodes. Backends that can pipeline (the native client) send every request before
     * waiting for the replies; the result is the same as calling {@link #list(String)} for each path in order.
     *
     * @param paths absolute paths
     * @return each node's children, or empty where the node does not exist, in the order of {@code paths}
     */
    default List<Optional<List<String>>> listAll(List<String> paths) {
        return listEach(this, paths);
    }

    /**
     * {@link #readAll(List)} one request at a time: for backends that cannot pipeline.
     *
     * @param ops where to read
     * @param paths absolute paths
     * @return each node's value, or empty where it does not exist
     */
    static List<Optional<String>> readEach(XenstoreOps ops, List<String> paths) {
        List<Optional<String>> values = new ArrayList<>(paths.size());
        for (String path : paths) {
            values.add(ops.read(path));
        }
        return values;
    }

    /**
     * {@link #listAll(List)} one request at a time: for backends that cannot pipeline.
     *
     * @param ops where to list
     * @param paths absolute paths
     * @return each node's children, or empty where it does not exist
     */
    static List<Optional<List<String>>> listEach(XenstoreOps ops, List<String> paths) {
        List<Optional<List<String>>> listings = new ArrayList<>(paths.size());
        for (String path : paths) {
            try {
                listings.add(Optional.of(ops.list(path)));
            } catch (XenstoreException e) {
                if (!e.isNotFound()) {
                    throw e;
                }
                listings.add(Optional.empty());
            }
        }
        return listings;
    }
}
