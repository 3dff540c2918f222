package io.netbuf.testkit.compat;

import io.netbuf.spi.Host;

/**
 * What the compatibility kit needs from the host under test: the {@link Host} and a way to create
 * the links a test needs. One fixture serves one test; the kit closes it afterwards. A fixture for a
 * real backend works in its own network namespace (a veth stands in for a vif there) and deletes
 * the namespace on close.
 */
public interface HostFixture extends AutoCloseable {
    /** @return the host whose ports are under test */
    Host host();

    /**
     * Creates a guest-facing link that is up, as a vif is once its guest runs.
     *
     * @param name the link's name, at most 15 bytes
     */
    void addVif(String name);

    /**
     * Creates an IFB device, down.
     *
     * @param name the device's name, at most 15 bytes
     */
    void addIfb(String name);

    /** Releases everything the fixture created. */
    @Override
    void close();
}
