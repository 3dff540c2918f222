package io.netbuf.spi;

import java.util.Optional;

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

    /**
     * Which process is which, for the owner record netbuf keeps beside each claim. By default
     * {@link Processes#UNSEEN}: no owner is recorded and no owner is ever taken for dead.
     *
     * @return the processes port
     */
    default Processes processes() {
        return Processes.UNSEEN;
    }

    /**
     * The changes of {@link #xenstore()}, ordered with its replies, where the host can report them.
     * By default the XenStore port itself when it is a {@link ChangeFeed}; a host whose port wraps
     * a store that has a feed (to log or inject faults) overrides this to return that store's feed.
     *
     * @return the feed, or empty when changes can only be found by reading (the claims are then
     *     read anew at every IFB pick)
     */
    default Optional<ChangeFeed> changeFeed() {
        return xenstore() instanceof ChangeFeed feed ? Optional.of(feed) : Optional.empty();
    }
}
