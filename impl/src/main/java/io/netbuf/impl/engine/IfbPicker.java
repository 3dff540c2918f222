package io.netbuf.impl.engine;

import io.netbuf.NoFreeIfbException;
import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.spi.BufferSpec;
import io.netbuf.spi.Host;
import io.netbuf.spi.Link;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import io.netbuf.spi.XenstoreOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Picks a free IFB and claims it, under the host lock. An IFB is free when it carries no qdisc that
 * someone added, no interface's ingress redirects into it and no live domain's xenbus record claims it. Where the host has a change feed the
 * claims come from a {@link ClaimIndex} (a pick costs the same whatever the number of domains);
 * elsewhere the claim scan and the claim write run in one transaction (where the backend has them).
 */
final class IfbPicker {
    private static final Logger LOG = LoggerFactory.getLogger(IfbPicker.class);
    /** How many {@code ifbN} names to try when creating a device. */
    private static final int MAX_CREATED_INDEX = 4096;

    private final Host host;
    private final BufferSpec spec;
    private final Optional<ProcessIdentity> owner;

    /** The outcome: the IFB and whether this attach created it. */
    record Pick(String ifb, boolean created) {
    }

    /**
     * @param owner the process recorded beside the claim as driving the buffer, if any
     */
    IfbPicker(Host host, BufferSpec spec, Optional<ProcessIdentity> owner) {
        this.host = host;
        this.spec = spec;
        this.owner = owner;
    }

    /**
     * Picks, claims and (if allowed and needed) creates an IFB; every change is recorded in
     * {@code undo}.
     *
     * @param undo the attach's rollback record
     * @return the IFB
     */
    Pick pickAndClaim(Undo undo) {
        Map<String, String> busy = new LinkedHashMap<>();
        List<String> unqueued = new ArrayList<>();
        Map<String, List<Qdisc>> qdiscs = host.trafficControl().allQdiscs();
        Map<String, String> redirected = redirectedInto(qdiscs);
        for (Link ifb : host.links().ifbs()) {
            String qdisc = explicitQdisc(qdiscs.getOrDefault(ifb.name(), List.of()));
            if (redirected.containsKey(ifb.name())) {
                // Plugging it would hold that interface's captured traffic.
                busy.put(ifb.name(), "is the redirect target of " + redirected.get(ifb.name()));
            } else if (qdisc == null) {
                unqueued.add(ifb.name());
            } else {
                busy.put(ifb.name(), "has a " + qdisc + " qdisc");
            }
        }
        String chosen = claimFirstUnclaimed(unqueued, busy, false);
        if (chosen != null) {
            undoClaim(undo, chosen);
            return new Pick(chosen, false);
        }
        if (!spec.createIfb()) {
            throw new NoFreeIfbException(spec.vif(), busy, null);
        }
        return create(busy, undo);
    }

    private Pick create(Map<String, String> busy, Undo undo) {
        String name;
        Set<String> claimed = Set.copyOf(claims().keySet()); // a XenStore failure is one, not "no free IFB"
        try {
            name = freeName(claimed);
            host.links().createIfb(name);
        } catch (NetworkBufferException e) {
            throw new NoFreeIfbException(spec.vif(), busy, e);
        }
        undo.push("delete created IFB " + name, () -> host.links().deleteIfb(name));
        LOG.info("vif={} ifb={}: created IFB (no free one: {})", spec.vif(), name, busy);
        if (claimFirstUnclaimed(List.of(name), busy, true) == null) {
            busy.computeIfPresent(name, (ifb, why) -> why + " while being created");
            throw new NoFreeIfbException(spec.vif(), busy, null);
        }
        undoClaim(undo, name);
        return new Pick(name, true);
    }

    /**
     * Claims the first of {@code candidates} no live domain claims: in one transaction with the
     * claim scan, or, where the host has a {@link ClaimIndex}, after refreshing the index (the
     * host lock then makes the read and the write one step).
     *
     * @param candidates IFBs without a qdisc, in order of preference
     * @param busy receives each claimed candidate with its claimant
     * @param created whether this attach created the candidates (recorded with the owner)
     * @return the claimed IFB, or null when every candidate is claimed
     */
    private String claimFirstUnclaimed(List<String> candidates, Map<String, String> busy, boolean created) {
        Xenstore xenstore = host.xenstore();
        Optional<ClaimIndex> index = ClaimIndex.of(host);
        if (index.isPresent()) {
            return claimFirst(index.get().claims(xenstore), candidates, busy, xenstore, created);
        }
        return xenstore.transaction(ops -> claimFirst(XenbusRecord.claims(ops), candidates, busy, ops, created));
    }

    private String claimFirst(Map<String, String> claims, List<String> candidates, Map<String, String> busy,
            XenstoreOps ops, boolean created) {
        for (String name : candidates) {
            String claimant = claims.get(name);
            if (claimant == null) {
                spec.xenbus().ifPresent(path -> {
                    ops.write(path + XenbusRecord.IFB, name);
                    try {
                        OwnerRecord.write(ops, path, owner, created);
                    } catch (RuntimeException e) {
                        // Outside a transaction the claim is written already: no claim without its owner.
                        try {
                            ops.rm(path + XenbusRecord.IFB);
                        } catch (RuntimeException undo) {
                            e.addSuppressed(undo);
                        }
                        throw e;
                    }
                });
                return name;
            }
            busy.put(name, "claimed by " + claimant);
        }
        return null;
    }

    /** @return every live domain's claims, from the index where the host has one */
    private Map<String, String> claims() {
        Xenstore xenstore = host.xenstore();
        Optional<ClaimIndex> index = ClaimIndex.of(host);
        return index.isPresent() ? index.get().claims(xenstore) : xenstore.transaction(XenbusRecord::claims);
    }

    private void undoClaim(Undo undo, String ifb) {
        spec.xenbus().ifPresent(path -> undo.push("remove claim " + path + XenbusRecord.IFB,
                () -> Teardown.removeClaimIfOurs(host, path, ifb)));
    }

    private String freeName(Set<String> claimed) {
        for (int i = 0; i < MAX_CREATED_INDEX; i++) {
            String name = "ifb" + i;
            if (!claimed.contains(name) && host.links().find(name).isEmpty()) {
                return name;
            }
        }
        throw OperationFailedException.of("create IFB", "no unused ifbN name below ifb" + MAX_CREATED_INDEX,
                spec.vif(), null, null);
    }

    /**
     * @param qdiscs every interface's qdiscs, from one listing
     * @return every device some interface's ingress redirects into, with that interface; only
     *     interfaces with an ingress qdisc can redirect, so only their filters are listed
     */
    private Map<String, String> redirectedInto(Map<String, List<Qdisc>> qdiscs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, List<Qdisc>> e : qdiscs.entrySet()) {
            if (e.getValue().stream().noneMatch(q -> q.parent() == TrafficControl.INGRESS)) {
                continue;
            }
            String dev = e.getKey();
            List<String> targets;
            try {
                targets = host.trafficControl().redirectTargets(dev);
            } catch (OperationFailedException ex) {
                if (host.links().find(dev).isEmpty()) {
                    continue; // gone since the listing
                }
                throw ex;
            }
            targets.forEach(t -> out.putIfAbsent(t, dev));
        }
        return out;
    }

    /** @return the kind of the first qdisc someone added (not a kernel default), or null */
    private static String explicitQdisc(List<Qdisc> qdiscs) {
        for (Qdisc q : qdiscs) {
            if (q.isExplicit()) {
                return q.kind();
            }
        }
        return null;
    }
}
