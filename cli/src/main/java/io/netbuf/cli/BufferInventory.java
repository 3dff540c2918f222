package io.netbuf.cli;

import io.netbuf.NetworkBufferException;
import io.netbuf.XenstoreException;
import io.netbuf.spi.Host;
import io.netbuf.spi.Link;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.XenstoreOps;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The buffers on a host, from both sides: the XenStore claims libxl's buffers leave
 * ({@code /libxl/<domid>/remus/netbuf/<devid>/ifb} for every domain listed under
 * {@code /local/domain}) and the kernel's IFBs with a plug, and the links whose ingress redirects
 * into an IFB. A buffer is complete when all three agree; any other combination is listed with what
 * is missing.
 */
final class BufferInventory {
    private BufferInventory() {
    }

    /**
     * One buffer, or the remains of one.
     *
     * @param ifb the IFB
     * @param vif the vif redirected into it (from the kernel), or the vif libxl names for the claim, or null
     * @param domid the claiming domain, or -1
     * @param devid the claim's device id, or -1
     * @param xenbusPath the claim's path, or null
     * @param hotplugStatus the claim's {@code hotplug-status}, or null
     * @param plug the IFB's plug qdisc, or null
     * @param problems what is missing or inconsistent; empty for a complete buffer
     */
    record Entry(String ifb, String vif, int domid, int devid, String xenbusPath, String hotplugStatus, Qdisc plug,
            List<String> problems) {
        boolean complete() {
            return problems.isEmpty();
        }
    }

    /** A claim found in XenStore. */
    private record Claim(int domid, int devid, String path, String vif, String status) {
    }

    /**
     * @param host the host
     * @return its buffers, sorted by IFB name
     * @throws NetworkBufferException when XenStore or the kernel cannot be read
     */
    static List<Entry> scan(Host host) {
        Map<String, Claim> claims = host.xenstore().transaction(BufferInventory::claims);
        Map<String, String> redirects = new TreeMap<>();
        Map<String, Qdisc> plugs = new TreeMap<>();
        Map<String, Boolean> ifbs = new TreeMap<>();
        for (Link link : host.links().all()) {
            if (link.isIfb()) {
                ifbs.put(link.name(), link.up());
                rootPlug(host, link.name()).ifPresent(q -> plugs.put(link.name(), q));
            } else if (hasIngress(host, link.name())) {
                for (String target : host.trafficControl().redirectTargets(link.name())) {
                    redirects.putIfAbsent(target, link.name());
                }
            }
        }
        TreeMap<String, Boolean> names = new TreeMap<>();
        claims.keySet().forEach(n -> names.put(n, true));
        redirects.keySet().forEach(n -> names.put(n, true));
        plugs.keySet().forEach(n -> names.put(n, true));
        List<Entry> entries = new ArrayList<>();
        for (String ifb : names.keySet()) {
            Claim claim = claims.get(ifb);
            String redirectedFrom = redirects.get(ifb);
            List<String> problems = new ArrayList<>();
            if (!ifbs.containsKey(ifb)) {
                problems.add("no such IFB");
            } else if (!ifbs.get(ifb)) {
                problems.add("IFB down");
            }
            if (!plugs.containsKey(ifb)) {
                problems.add("no plug");
            }
            if (redirectedFrom == null) {
                problems.add("no redirect");
            }
            if (claim == null) {
                problems.add("not claimed in xenstore");
            } else if (redirectedFrom != null && !redirectedFrom.equals(claim.vif())) {
                problems.add("claimed for " + claim.vif() + " but redirected from " + redirectedFrom);
            }
            String vif = redirectedFrom != null ? redirectedFrom : claim != null ? claim.vif() : null;
            entries.add(new Entry(ifb, vif, claim == null ? -1 : claim.domid(), claim == null ? -1 : claim.devid(),
                    claim == null ? null : claim.path(), claim == null ? null : claim.status(), plugs.get(ifb),
                    List.copyOf(problems)));
        }
        return entries;
    }

    private static Map<String, Claim> claims(XenstoreOps ops) {
        Map<String, Claim> claims = new TreeMap<>();
        for (String domid : listOrEmpty(ops, "/local/domain")) {
            if (domid.equals("0") || !domid.matches("[0-9]{1,9}")) {
                continue;
            }
            String base = "/libxl/" + domid + "/remus/netbuf";
            for (String devid : listOrEmpty(ops, base)) {
                if (!devid.matches("[0-9]{1,9}")) {
                    continue;
                }
                String path = base + "/" + devid;
                Optional<String> ifb = ops.read(path + "/ifb");
                if (ifb.isPresent()) {
                    // libxl's rule: the backend's vifname, else vif<domid>.<devid>.
                    String vif = ops.read("/local/domain/0/backend/vif/" + domid + "/" + devid + "/vifname")
                            .orElse("vif" + domid + "." + devid);
                    claims.putIfAbsent(ifb.get(), new Claim(Integer.parseInt(domid), Integer.parseInt(devid), path,
                            vif, ops.read(path + "/hotplug-status").orElse(null)));
                }
            }
        }
        return claims;
    }

    private static List<String> listOrEmpty(XenstoreOps ops, String path) {
        try {
            return ops.list(path);
        } catch (XenstoreException e) {
            if (e.isNotFound()) {
                return List.of();
            }
            throw e;
        }
    }

    private static Optional<Qdisc> rootPlug(Host host, String dev) {
        return host.trafficControl().qdiscs(dev).stream()
                .filter(q -> q.isExplicit() && q.parent() == TrafficControl.ROOT && q.kind().equals("plug"))
                .findFirst();
    }

    private static boolean hasIngress(Host host, String dev) {
        return host.trafficControl().qdiscs(dev).stream()
                .anyMatch(q -> q.isExplicit() && q.parent() == TrafficControl.INGRESS && q.kind().equals("ingress"));
    }
}
