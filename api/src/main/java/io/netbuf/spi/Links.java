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

    /**
     * Sets how the kernel forms the interface's IPv6 address when it comes up. The engine sets
     * {@link Ipv6AddrGenMode#NONE} on an IFB before bringing it up: otherwise the IFB's own IPv6
     * packets (router solicitations, MLD reports) would be buffered with the guest's.
     *
     * @param name the interface
     * @param mode the mode to set
     * @return the mode before, or empty when the interface has no IPv6 (kernel without IPv6) and
     *     nothing was changed
     * @throws io.netbuf.OperationFailedException if the kernel refuses (e.g. no such interface)
     */
    Optional<Ipv6AddrGenMode> setIpv6AddrGenMode(String name, Ipv6AddrGenMode mode);
}
