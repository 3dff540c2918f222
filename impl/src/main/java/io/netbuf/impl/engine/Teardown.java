package io.netbuf.impl.engine;

import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.spi.Host;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a buffer down, whether this process attached it or not. Every step is tried even when an
 * earlier one fails; steps whose object is already gone are skipped, so teardown is idempotent.
 *
 * <p>Order matters. The redirect goes first, and only netbuf's own filter (the ingress qdisc only
 * when nothing else is left on it): while the redirect is in place the IFB must stay up, or the
 * guest is cut off. The IFB only looks free to a picker once its plug is gone, so the plug is
 * removed last (or the whole device, when this attach created it). Only a device of kind
 * {@code ifb} is ever set down, changed or deleted.
 */
final class Teardown {
    private static final Logger LOG = LoggerFactory.getLogger(Teardown.class);

    private final Host host;
    private final String vif;
    private final String xenbusPath;
    private final Failures failures = new Failures();

    Teardown(Host host, String vif, String xenbusPath) {
        this.host = host;
        this.vif = vif;
        this.xenbusPath = xenbusPath;
    }

    /**
     * Tears down a buffer described from outside (Xen's script rule): the IFB is freed only when
     * the xenbus record names it, or, without a xenbus path, when the vif's redirect points at it.
     * The mode the IFB had before the attach is not known here, so a freed IFB gets the kernel's
     * default IPv6 address generation mode ({@code eui64}) back.
     *
     * @param ifb the IFB believed to be used, or null
     */
    void byDescription(String ifb) {
        boolean ours = ifb != null && (xenbusPath != null
                ? ifb.equals(step("read claim", () -> host.xenstore().read(xenbusPath + XenbusRecord.IFB))
                        .flatMap(v -> v).orElse(null))
                : step("read redirect", () -> host.trafficControl().redirectTargets(vif))
                        .map(targets -> targets.contains(ifb)).orElse(false));
        if (ifb != null && !ours) {
            LOG.warn("vif={} ifb={}: not freeing the IFB: {}", vif, ifb, xenbusPath != null
                    ? "the record at " + xenbusPath + XenbusRecord.IFB + " does not name it"
                    : "the vif does not redirect to it");
        }
        run(ours ? ifb : null, false, Ipv6AddrGenMode.EUI64, false);
    }

    /**
     * Tears down a buffer whose owner died with it held (what {@code reap} found as orphaned): its
     * plug is released indefinitely first, so what it held goes out and no later failure leaves the
     * guest cut off, then it is taken down as by its owner.
     *
     * @param ifb its IFB
     * @param deleteIfb whether netbuf created the IFB (then the device is deleted)
     */
    void orphaned(String ifb, boolean deleteIfb) {
        if (hasQdisc(ifb, "plug", TrafficControl.ROOT)) {
            step("release the plug of " + ifb + " indefinitely", () -> {
                host.trafficControl().plug(List.of(ifb), PlugAction.RELEASE_INDEFINITE);
                return null;
            });
        }
        run(ifb, deleteIfb, Ipv6AddrGenMode.EUI64, false);
    }

    /**
     * Tears down a buffer this process attached.
     *
     * @param ifb its IFB
     * @param deleteIfb whether the attach created the IFB (then the device is deleted)
     * @param restoreMode the IPv6 address generation mode to give the IFB back, or null
     */
    void owned(String ifb, boolean deleteIfb, Ipv6AddrGenMode restoreMode) {
        run(ifb, deleteIfb, restoreMode, true);
    }

    /** Throws the first failure seen (the others suppressed in it), if any step failed. */
    void throwIfFailed() {
        failures.throwIfAny();
    }

    private void run(String ifb, boolean deleteIfb, Ipv6AddrGenMode restoreMode, boolean ownedIngress) {
        boolean redirectLeft = !removeRedirects(ifb, ownedIngress);
        Optional<Optional<Link>> looked = ifb == null ? Optional.of(Optional.empty())
                : step("find " + ifb, () -> host.links().find(ifb));
        Optional<Link> device = looked.orElse(Optional.empty());
        if (looked.isEmpty()) {
            LOG.warn("vif={} ifb={}: left as it is: could not read what kind of device it is", vif, ifb);
        } else if (device.isPresent() && !device.get().isIfb()) {
            LOG.warn("vif={} ifb={}: not touching {}: it is a {} device, not an IFB (netbuf changes only IFBs)",
                    vif, ifb, ifb, device.get().kind().isEmpty() ? "plain" : device.get().kind());
            removeClaim(ifb);
        } else if (ifb != null && redirectLeft && device.isPresent()) {
            keepTrafficFlowing(ifb);
        } else if (ifb != null) {
            freeIfb(ifb, device.isPresent(), deleteIfb, restoreMode);
        }
        if (xenbusPath != null && !redirectLeft) {
            step("remove hotplug status", () -> {
                host.xenstore().transaction(ops -> {
                    rmIfPresent(ops, xenbusPath + XenbusRecord.HOTPLUG_STATUS);
                    rmIfPresent(ops, xenbusPath + XenbusRecord.HOTPLUG_ERROR);
                    return null;
                });
                return null;
            });
        }
        LOG.info("vif={} ifb={}: torn down{}", vif, ifb, failures.count() == 0 ? "" : " with " + failures.count()
                + " failure(s)");
    }

    /**
     * Removes netbuf's own redirect filters from the vif (into {@code ifb}, or into any IFB when it is
     * null), then the ingress qdisc when no filter is left on it and netbuf's filter was there or
     * {@code ownedIngress} says netbuf added the qdisc. Other filters (and their qdisc) stay.
     *
     * @return true when no redirect of netbuf's into {@code ifb} is known to remain
     */
    private boolean removeRedirects(String ifb, boolean ownedIngress) {
        Optional<Boolean> ingress = step("list qdiscs of " + vif, () -> qdiscPresent(vif, "ingress",
                TrafficControl.INGRESS));
        if (ingress.isEmpty() || !ingress.get()) {
            return ingress.isPresent();
        }
        Optional<Boolean> removed = step("remove redirect of " + vif, () -> removeNetbufRedirects(host, vif, ifb,
                ownedIngress));
        return removed.orElse(false);
    }

    /**
     * Removes netbuf's redirect filters on {@code vif} into {@code ifb} (any IFB when null), and the
     * ingress qdisc when it is then empty and was netbuf's (its filter was there, or {@code ownedIngress}).
     *
     * @param host the host
     * @param vif the interface
     * @param ifb the IFB, or null for any IFB
     * @param ownedIngress whether netbuf is known to have added the ingress qdisc
     * @return true (every step succeeded; a failure throws)
     */
    static boolean removeNetbufRedirects(Host host, String vif, String ifb, boolean ownedIngress) {
        TrafficControl tc = host.trafficControl();
        boolean removedAny = false;
        for (IngressFilter f : tc.ingressFilters(vif)) {
            boolean ours = (ifb == null ? f.isNetbufRedirect() : f.isNetbufRedirectTo(ifb))
                    && host.links().find(f.target()).map(Link::isIfb).orElse(false);
            if (ours) {
                tc.deleteIngressFilter(vif, f);
                removedAny = true;
                LOG.debug("vif={}: removed redirect filter into {}", vif, f.target());
            }
        }
        if ((removedAny || ownedIngress) && tc.ingressFilters(vif).isEmpty()) {
            tc.deleteIngress(vif);
        } else if (!removedAny && !ownedIngress) {
            LOG.info("vif={}: no redirect filter of netbuf's on its ingress qdisc: left as it is", vif);
        }
        return true;
    }

    /**
     * The redirect into {@code ifb} could not be removed: setting the IFB down (or deleting its plug)
     * would then cut the guest off. Its plug is released indefinitely instead, so the guest's traffic
     * flows, and a failure says what is left and that a second close finishes.
     */
    private void keepTrafficFlowing(String ifb) {
        if (hasQdisc(ifb, "plug", TrafficControl.ROOT)) {
            step("release the plug of " + ifb + " indefinitely", () -> {
                host.trafficControl().plug(List.of(ifb), PlugAction.RELEASE_INDEFINITE);
                return null;
            });
        }
        String left = "the redirect " + vif + " -> " + ifb + " could not be removed, so " + ifb
                + " was left up with its plug released indefinitely (the guest's traffic keeps flowing)"
                + (xenbusPath == null ? "" : " and the claim " + xenbusPath + XenbusRecord.IFB + " kept")
                + "; call close() (or teardown) again to finish";
        LOG.warn("vif={} ifb={}: {}", vif, ifb, left);
        failures.lead(OperationFailedException.of("tear down " + vif + " -> " + ifb, left, vif, ifb,
                failures.first()));
    }

    private void freeIfb(String ifb, boolean present, boolean deleteIfb, Ipv6AddrGenMode restoreMode) {
        if (present) {
            step("set " + ifb + " down", () -> {
                host.links().setUp(ifb, false);
                return null;
            });
            if (restoreMode != null && !deleteIfb) {
                step("restore IPv6 addrgenmode of " + ifb, () -> host.links().setIpv6AddrGenMode(ifb, restoreMode));
            }
        }
        removeClaim(ifb);
        if (deleteIfb) {
            if (host.links().find(ifb).isPresent()) {
                step("delete IFB " + ifb, () -> {
                    host.links().deleteIfb(ifb);
                    return null;
                });
            }
        } else if (hasQdisc(ifb, "plug", TrafficControl.ROOT)) {
            step("delete plug qdisc of " + ifb, () -> {
                host.trafficControl().deleteRoot(ifb);
                return null;
            });
        }
    }

    private void removeClaim(String ifb) {
        if (xenbusPath != null) {
            step("remove claim", () -> {
                removeClaimIfOurs(host, xenbusPath, ifb);
                return null;
            });
        }
    }

    /**
     * Removes {@code path/ifb} and netbuf's owner record beside it only when the claim still names
     * {@code ifb}: never frees a claim that someone else made since.
     */
    static void removeClaimIfOurs(Host host, String path, String ifb) {
        host.xenstore().transaction(ops -> {
            if (ops.read(path + XenbusRecord.IFB).filter(ifb::equals).isPresent()) {
                ops.rm(path + XenbusRecord.IFB);
                rmIfPresent(ops, path + OwnerRecord.NODE);
            }
            return null;
        });
    }

    /** Removes a node when it exists (xenstored refuses to remove one whose parent is gone). */
    static void rmIfPresent(io.netbuf.spi.XenstoreOps ops, String path) {
        if (ops.exists(path)) {
            ops.rm(path);
        }
    }

    private boolean hasQdisc(String dev, String kind, int parent) {
        return step("list qdiscs of " + dev, () -> qdiscPresent(dev, kind, parent)).orElse(false);
    }

    private boolean qdiscPresent(String dev, String kind, int parent) {
        if (host.links().find(dev).isEmpty()) {
            return false;
        }
        for (Qdisc q : host.trafficControl().qdiscs(dev)) {
            if (q.isExplicit() && q.parent() == parent && q.kind().equals(kind)) {
                return true;
            }
        }
        return false;
    }

    private <T> Optional<T> step(String name, java.util.function.Supplier<T> action) {
        try {
            return Optional.ofNullable(action.get());
        } catch (NetworkBufferException e) {
            LOG.warn("vif={}: teardown step '{}' failed: {}", vif, name, e.getMessage());
            failures.add(e);
            return Optional.empty();
        }
    }
}
