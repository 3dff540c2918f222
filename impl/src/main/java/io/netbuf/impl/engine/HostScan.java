package io.netbuf.impl.engine;

import io.netbuf.ReapFinding;
import io.netbuf.ReapFinding.Kind;
import io.netbuf.spi.Host;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Link;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.XenstoreOps;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One look at everything buffers leave on a host: every link with its explicit root qdisc, every
 * ingress redirect, every claim under {@code /libxl/<domid>/remus/netbuf} and whether its domain
 * is alive. Derives what {@code reap} reports (which takes it under the host lock: an attach in
 * progress would otherwise look like leftovers) and what a status display shows.
 */
public final class HostScan {
    /**
     * A claim {@code <path>/ifb = ifb}.
     *
     * @param domid the claiming domain
     * @param devid the device
     * @param path the xenbus path, {@code /libxl/<domid>/remus/netbuf/<devid>}
     * @param ifb the claimed IFB
     * @param live whether the domain is listed under {@code /local/domain}
     * @param vif the name libxl gives the device (its backend's {@code vifname}, else
     *     {@code vif<domid>.<devid>})
     * @param hotplugStatus the record's {@code hotplug-status}, or null
     * @param owner the process recorded as driving the buffer ({@code netbuf-owner}), or null when
     *     there is no (readable) owner record
     * @param ownerLiveness whether {@code owner} is alive, or null without an owner
     * @param createdIfb whether the owner record says netbuf created the IFB
     */
    public record Claim(String domid, String devid, String path, String ifb, boolean live, String vif,
            String hotplugStatus, ProcessIdentity owner, Processes.Liveness ownerLiveness, boolean createdIfb) {
        /** @return whether the claim has an owner record whose process is dead */
        public boolean orphaned() {
            return ownerLiveness == Processes.Liveness.DEAD;
        }
    }

    private final Map<String, Link> links = new LinkedHashMap<>();
    /** IFB name to its explicit root qdisc (absent: kernel default only). */
    private final Map<String, Qdisc> roots = new LinkedHashMap<>();
    /** Link name to the devices its ingress redirects to (only links that redirect). */
    private final Map<String, List<String>> redirects = new LinkedHashMap<>();
    /** Link name to the filters on its ingress (only links that have an ingress qdisc). */
    private final Map<String, List<IngressFilter>> filters = new LinkedHashMap<>();
    /** Links that have an ingress qdisc without any filter. */
    private final Set<String> bareIngress = new HashSet<>();
    private final List<Claim> claims;

    private HostScan(Host host) {
        for (Link link : host.links().all()) {
            links.put(link.name(), link);
        }
        Map<String, List<Qdisc>> qdiscs = host.trafficControl().allQdiscs();
        for (Link link : links.values()) {
            boolean ingress = false;
            for (Qdisc q : qdiscs.getOrDefault(link.name(), List.of())) {
                if (!q.isExplicit()) {
                    continue;
                }
                if (q.parent() == TrafficControl.ROOT && link.isIfb()) {
                    roots.put(link.name(), q);
                } else if (q.parent() == TrafficControl.INGRESS) {
                    ingress = true;
                }
            }
            if (ingress) {
                List<IngressFilter> found = host.trafficControl().ingressFilters(link.name());
                filters.put(link.name(), found);
                List<String> targets = found.stream().map(IngressFilter::target).filter(Objects::nonNull)
                        .distinct().toList();
                if (!targets.isEmpty()) {
                    redirects.put(link.name(), targets);
                }
                if (found.isEmpty()) {
                    bareIngress.add(link.name());
                }
            }
        }
        claims = withLiveness(host.xenstore().transaction(HostScan::readClaims), host.processes());
    }

    /** Asks, outside the XenStore transaction, whether each recorded owner lives. */
    private static List<Claim> withLiveness(List<Claim> read, Processes processes) {
        List<Claim> out = new ArrayList<>(read.size());
        for (Claim c : read) {
            out.add(c.owner() == null ? c : new Claim(c.domid(), c.devid(), c.path(), c.ifb(), c.live(), c.vif(),
                    c.hotplugStatus(), c.owner(), processes.liveness(c.owner()), c.createdIfb()));
        }
        return out;
    }

    /**
     * Reads the host now.
     *
     * @param host the host
     * @return the scan
     */
    public static HostScan of(Host host) {
        return new HostScan(host);
    }

    /** @return what is left behind: claims, then redirects, then plugs */
    List<ReapFinding> findings() {
        List<ReapFinding> out = new ArrayList<>();
        Set<String> redirected = new HashSet<>();
        redirects.values().forEach(redirected::addAll);
        Set<String> complete = new HashSet<>();
        for (Claim c : claims) {
            if (!c.live()) {
                out.add(new ReapFinding(Kind.STALE_CLAIM, c.path(), null, c.ifb()));
            } else if (!hasPlug(c.ifb())) {
                out.add(new ReapFinding(Kind.UNPLUGGED_CLAIM, c.path(), null, c.ifb()));
            } else if (!redirected.contains(c.ifb())) {
                out.add(new ReapFinding(Kind.UNREDIRECTED_CLAIM, c.path(), null, c.ifb()));
            } else if (c.orphaned() && redirectsOf(c.vif()).contains(c.ifb())) {
                complete.add(c.ifb());
                out.add(new ReapFinding(Kind.ORPHANED_BUFFER, c.path(), c.vif(), c.ifb(), c.owner().encode()));
            } else {
                complete.add(c.ifb());
            }
        }
        Set<String> claimed = new HashSet<>();
        claims.forEach(c -> claimed.add(c.ifb()));
        filters.forEach((vif, list) -> list.stream().filter(IngressFilter::isNetbufRedirect)
                .map(IngressFilter::target).distinct()
                // Evidence that the redirect is netbuf's: its exact filter, into an IFB a claim names.
                .filter(t -> claimed.contains(t) && isBareIfb(t))
                .forEach(t -> out.add(new ReapFinding(Kind.DANGLING_REDIRECT, null, vif, t))));
        for (Claim c : claims) {
            // An attach that died between its ingress qdisc and its redirect filter: the claim's vif
            // has an ingress qdisc that redirects nowhere. (Any other empty ingress is not ours.)
            if (c.live() && !complete.contains(c.ifb()) && bareIngress.contains(c.vif())) {
                out.add(new ReapFinding(Kind.DANGLING_REDIRECT, null, c.vif(), c.ifb()));
            }
        }
        roots.forEach((ifb, root) -> {
            if (root.kind().equals("plug") && !complete.contains(ifb) && !redirected.contains(ifb)) {
                out.add(new ReapFinding(Kind.ORPHAN_PLUG, null, null, ifb));
            }
        });
        return out;
    }

    /**
     * @param path a xenbus path
     * @return the claim recorded there, if the scan saw one
     */
    Optional<Claim> claimAt(String path) {
        return claims.stream().filter(c -> c.path().equals(path)).findFirst();
    }

    private List<String> redirectsOf(String vif) {
        return redirects.getOrDefault(vif, List.of());
    }

    /** @return IFBs named by a live domain's claim */
    Set<String> liveClaimed() {
        Set<String> out = new HashSet<>();
        for (Claim c : claims) {
            if (c.live()) {
                out.add(c.ifb());
            }
        }
        return out;
    }

    /** @return each link that redirects its ingress, with the devices it redirects to */
    public Map<String, List<String>> redirects() {
        return Collections.unmodifiableMap(redirects);
    }

    /** @return each link that has an ingress qdisc, with the filters on it */
    Map<String, List<IngressFilter>> ingressFilters() {
        return Collections.unmodifiableMap(filters);
    }

    /** @return every claim found, of live domains and dead ones, in XenStore's order */
    public List<Claim> claims() {
        return List.copyOf(claims);
    }

    /** @return every link by name */
    public Map<String, Link> links() {
        return Collections.unmodifiableMap(links);
    }

    /**
     * @param ifb a device name
     * @return its plug qdisc (explicit, at the root), if it has one
     */
    public Optional<Qdisc> plug(String ifb) {
        return Optional.ofNullable(roots.get(ifb)).filter(q -> q.kind().equals("plug"));
    }

    /**
     * @param ifb a device name
     * @return whether it exists, is an IFB, is up and has no explicit root qdisc
     */
    boolean isBareUpIfb(String ifb) {
        return isBareIfb(ifb) && links.get(ifb).up();
    }

    /**
     * @param ifb a device name
     * @return whether it exists, is an IFB and has no explicit root qdisc
     */
    boolean isBareIfb(String ifb) {
        Link link = links.get(ifb);
        return link != null && link.isIfb() && !roots.containsKey(ifb);
    }

    private boolean hasPlug(String ifb) {
        return plug(ifb).isPresent();
    }

    private static List<Claim> readClaims(XenstoreOps ops) {
        Set<String> live = new HashSet<>(XenbusRecord.listOrEmpty(ops, "/local/domain"));
        List<XenbusRecord.Claim> found = XenbusRecord.claimsOf(ops, XenbusRecord.listOrEmpty(ops, "/libxl"));
        List<String> paths = new ArrayList<>(3 * found.size());
        for (XenbusRecord.Claim c : found) {
            paths.add("/local/domain/0/backend/vif/" + c.domid() + "/" + c.devid() + "/vifname");
            paths.add(c.path() + XenbusRecord.HOTPLUG_STATUS);
            paths.add(c.path() + OwnerRecord.NODE);
        }
        List<Optional<String>> values = ops.readAll(paths);
        List<Claim> out = new ArrayList<>(found.size());
        for (int i = 0; i < found.size(); i++) {
            XenbusRecord.Claim c = found.get(i);
            // libxl's rule: the backend's vifname, else vif<domid>.<devid>.
            String vif = values.get(3 * i).orElse("vif" + c.domid() + "." + c.devid());
            Optional<OwnerRecord> owner = values.get(3 * i + 2).flatMap(OwnerRecord::parse);
            out.add(new Claim(c.domid(), c.devid(), c.path(), c.ifb(), live.contains(c.domid()), vif,
                    values.get(3 * i + 1).orElse(null), owner.map(OwnerRecord::process).orElse(null), null,
                    owner.map(OwnerRecord::createdIfb).orElse(false)));
        }
        return out;
    }
}
