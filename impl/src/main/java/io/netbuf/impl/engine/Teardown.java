package io.netbuf.impl.engine;

import io.netbuf.NetworkBufferException;
import io.netbuf.spi.Host;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes a buffer down, whether this process attached it or not. Every step is tried even when an
 * earlier one fails; steps whose object is already gone are skipped, so teardown is idempotent.
 *
 * <p>Order matters for concurrent attaches: the IFB only looks free to a picker once its plug is
 * gone, so the plug is removed last (or the whole device, when this attach created it).
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
        run(ours ? ifb : null, false, Ipv6AddrGenMode.EUI64);
    }

    /**
     * Tears down a buffer this process attached.
     *
     * @param ifb its IFB
     * @param deleteIfb whether the attach created the IFB (then the device is deleted)
     * @param restoreMode the IPv6 address generation mode to give the IFB back, or null
     */
    void owned(String ifb, boolean deleteIfb, Ipv6AddrGenMode restoreMode) {
        run(ifb, deleteIfb, restoreMode);
    }

    /** Throws the first failure seen (the others suppressed in it), if any step failed. */
    void throwIfFailed() {
        failures.throwIfAny();
    }

    private void run(String ifb, boolean deleteIfb, Ipv6AddrGenMode restoreMode) {
        if (hasQdisc(vif, "ingress", TrafficControl.INGRESS)) {
            step("delete ingress qdisc of " + vif, () -> {
                host.trafficControl().deleteIngress(vif);
                return null;
            });
        }
        if (ifb != null) {
            if (host.links().find(ifb).isPresent()) {
                step("set " + ifb + " down", () -> {
                    host.links().setUp(ifb, false);
                    return null;
                });
                if (restoreMode != null && !deleteIfb) {
                    step("restore IPv6 addrgenmode of " + ifb, () -> host.links().setIpv6AddrGenMode(ifb, restoreMode));
                }
            }
            if (xenbusPath != null) {
                step("remove claim", () -> {
                    removeClaimIfOurs(host, xenbusPath, ifb);
                    return null;
                });
            }
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
        if (xenbusPath != null) {
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
     * Removes {@code path/ifb} only when it still names {@code ifb}: never frees a claim that
     * someone else made since.
     */
    static void removeClaimIfOurs(Host host, String path, String ifb) {
        host.xenstore().transaction(ops -> {
            if (ops.read(path + XenbusRecord.IFB).filter(ifb::equals).isPresent()) {
                ops.rm(path + XenbusRecord.IFB);
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
        Optional<Boolean> found = step("list qdiscs of " + dev, () -> {
            if (host.links().find(dev).isEmpty()) {
                return false;
            }
            for (Qdisc q : host.trafficControl().qdiscs(dev)) {
                if (q.isExplicit() && q.parent() == parent && q.kind().equals(kind)) {
                    return true;
                }
            }
            return false;
        });
        return found.orElse(false);
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
