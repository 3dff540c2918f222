package io.netbuf.spi;

import java.util.List;
import java.util.Optional;

/** Port: network interfaces and IFB devices. */
public interface Links {
    /**
     * @param name the interface name
     * @return the interface, or empty when there is none by that name
     */
    Optional<Link> find(String name);

    /** @return every network interface, sorted by name */
    List<Link> all();

    /** @return every IFB device (found by link kind, not by name), sorted by name */
    List<Link> ifbs();

    /**
     * Creates an IFB device (down).
     *
     * @param name the new device's name
     * @throws io.netbuf.OperationFailedException if the kernel refuses (e.g. the name exists)
     */
    void createIfb(String name);

    /**
     * Deletes an IFB device (dropping anything it holds).
     *
     * @param name the device
     */
    void deleteIfb(String name);

    /**
     * Sets the administrative state of an interface.
     *
     * @param name the interface
     * @param up true for up, false for down (down purges a plug's backlog)
     */
    void setUp(String name, boolean up);
}
