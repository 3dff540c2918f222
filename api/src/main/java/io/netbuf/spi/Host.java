package io.netbuf.spi;

/**
 * One machine as netbuf sees it: the ports the engine drives. Implementations: the real host
 * (tools or native backends, in netbuf-impl) and {@code FakeHost} (netbuf-testkit).
 */
public interface Host {
    /** @return a short description for logs, e.g. {@code "native (rtnetlink, xenstore socket)"} */
    String description();

    /** @return network interfaces and IFB devices */
    Links links();

    /** @return qdiscs, filters and the plug */
    TrafficControl trafficControl();

    /** @return the XenStore database */
    Xenstore xenstore();

    /** @return the host-wide lock shared with Xen's hotplug scripts */
    HostLock lock();

    /** @return which kernel features are present */
    KernelFeatures features();
}
