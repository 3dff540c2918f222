package io.netbuf.spi;

import java.util.Objects;

/**
 * A {@link Host} made of ports given one by one: for a custom combination of backends (e.g. the
 * real kernel with a wrapped port, in a test) without writing a class.
 *
 * @param description a short description for logs
 * @param links the links port
 * @param trafficControl the traffic-control port
 * @param xenstore the XenStore port
 * @param lock the host lock
 * @param features the kernel feature check
 * @param processes which process is which ({@link Processes#UNSEEN} when the host cannot tell)
 */
public record BasicHost(String description, Links links, TrafficControl trafficControl, Xenstore xenstore,
        HostLock lock, KernelFeatures features, Processes processes) implements Host {
    /**
     * Checks that every port is given.
     *
     * @param description a short description for logs
     * @param links the links port
     * @param trafficControl the traffic-control port
     * @param xenstore the XenStore port
     * @param lock the host lock
     * @param features the kernel feature check
     * @param processes which process is which
     */
    public BasicHost {
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(links, "links");
        Objects.requireNonNull(trafficControl, "trafficControl");
        Objects.requireNonNull(xenstore, "xenstore");
        Objects.requireNonNull(lock, "lock");
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(processes, "processes");
    }

    /**
     * A host that cannot see processes ({@link Processes#UNSEEN}): no owner is recorded.
     *
     * @param description a short description for logs
     * @param links the links port
     * @param trafficControl the traffic-control port
     * @param xenstore the XenStore port
     * @param lock the host lock
     * @param features the kernel feature check
     */
    public BasicHost(String description, Links links, TrafficControl trafficControl, Xenstore xenstore,
            HostLock lock, KernelFeatures features) {
        this(description, links, trafficControl, xenstore, lock, features, Processes.UNSEEN);
    }
}
