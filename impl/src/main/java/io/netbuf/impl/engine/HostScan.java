package io.netbuf.impl.engine;

import io.netbuf.ReapFinding;
import io.netbuf.ReapFinding.Kind;
import io.netbuf.spi.Host;
import io.netbuf.spi.Link;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.XenstoreOps;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One look at everything buffers leave on a host: every link with its explicit root qdisc, every
 * ingress redirect, every claim under {@code /libxl/<domid>/remus/netbuf} and whether its domain
 * is alive. Derives what {@code reap} reports. Take it under the host lock: an attach in progress
 * would otherwise look like leftovers.
 */
final class HostScan {
    /** A claim {@code <path>/ifb = ifb}; {@code live} when the domain is listed under /local/domain. */
    record Claim(String path, String ifb, boolean live) {
    }

    private final Map<String, Link> links = new LinkedHashMap<>();
    /** IFB name to the kind of its explicit root qdisc (absent: kernel default only). */
    private final Map<String, String> roots = new LinkedHashMap<>();
    /** Link name to the devices its ingress redirects to (only links that redirect). */
    private final Map<String, List<String>> redirects = new LinkedHashMap<>();
    private final List<Claim> claims;

    private HostScan(Host host) {
        for (Link link : host.links().all()) {
            links.put(link.name(), link);
        }
        for (Link link : links.values()) {
            boolean ingress = false;
            for (Qdisc q : host.trafficControl().qdiscs(link.name())) {
                if (!q.isExplicit()) {
                    continue;
                }
                if (q.parent() == TrafficControl.ROOT && link.isIfb()) {
                    roots.put(link.name(), q.kind());
                } else if (q.parent() == TrafficControl.INGRESS) {
                    ingress = true;
                }
            }
            if (ingress) {
                List<String> targets = host.trafficControl().redirectTargets(link.name());
                if (!targets.isEmpty()) {
                    redirects.put(link.name(), targets);
                }
            }
        }
        claims = host.xenstore().transaction(HostScan::readClaims);
    }

    /**
     * Reads the host now.
     *
     * @param host the host
     * @return the scan
     */
    static HostScan of(Host host) {
        return new HostScan(host);
    }

    /** @return what is left behind: claims, then redirects, then plugs */
    List<ReapFinding> findings() {
        List<ReapFinding> out = new ArrayList<>();
        for (Claim c : claims) {
            if (!c.live()) {
                out.add(new ReapFinding(Kind.STALE_CLAIM, c.path(), null, c.ifb()));
            } else if (!hasPlug(c.ifb())) {
                out.add(new ReapFinding(Kind.UNPLUGGED_CLAIM, c.path(), null, c.ifb()));
            }
        }
        redirects.forEach((vif, targets) -> {
            // Deleting the ingress qdisc drops every filter: only when no target is a working buffer.
            if (targets.stream().allMatch(this::isBareOrMissingIfb)) {
                targets.forEach(t -> out.add(new ReapFinding(Kind.DANGLING_REDIRECT, null, vif, t)));
            }
        });
        Set<String> named = liveClaimed();
        Set<String> redirected = new HashSet<>();
        redirects.values().forEach(redirected::addAll);
        roots.forEach((ifb, kind) -> {
            if (kind.equals("plug") && !named.contains(ifb) && !redirected.contains(ifb)) {
                out.add(new ReapFinding(Kind.ORPHAN_PLUG, null, null, ifb));
            }
        });
        return out;
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

    /** @return each link's redirect targets */
    Map<String, List<String>> redirects() {
        return redirects;
    }

    /**
     * @param ifb a device name
     * @return whether it exists, is an IFB, is up and has no explicit root qdisc
     */
    boolean isBareUpIfb(String ifb) {
        Link link = links.get(ifb);
        return link != null && link.isIfb() && link.up() && !roots.containsKey(ifb);
    }

    private boolean hasPlug(String ifb) {
        return "plug".equals(roots.get(ifb));
    }

    /** A redirect to anything else (a device with someone's shaping qdisc, a non-IFB) is not ours. */
    private boolean isBareOrMissingIfb(String dev) {
        Link link = links.get(dev);
        return link == null || (link.isIfb() && !roots.containsKey(dev));
    }

    private static List<Claim> readClaims(XenstoreOps ops) {
        Set<String> live = new HashSet<>(XenbusRecord.listOrEmpty(ops, "/local/domain"));
        List<Claim> out = new ArrayList<>();
        for (String domid : XenbusRecord.listOrEmpty(ops, "/libxl")) {
            String base = "/libxl/" + domid + "/remus/netbuf";
            for (String devid : XenbusRecord.listOrEmpty(ops, base)) {
                String path = base + "/" + devid;
                ops.read(path + XenbusRecord.IFB).ifPresent(ifb -> out.add(new Claim(path, ifb, live.contains(domid))));
            }
        }
        return out;
    }
}
