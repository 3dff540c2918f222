package io.netbuf.cli;

import io.netbuf.NetworkBufferException;
import io.netbuf.impl.engine.HostScan;
import io.netbuf.spi.Host;
import io.netbuf.spi.Link;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import io.netbuf.spi.Qdisc;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The buffers on a host, from both sides: the XenStore claims libxl's buffers leave
 * ({@code /libxl/<domid>/remus/netbuf/<devid>/ifb} for every domain listed under
 * {@code /local/domain}) and the kernel's IFBs with a plug, and the links whose ingress redirects
 * into an IFB (as {@link HostScan}, the scan behind reap, reads them). A buffer is complete when all
 * three agree; any other combination is listed with what is missing.
 */
final class BufferInventory {
    /** The problem of a buffer that has everything but a XenStore claim (attached without a xenbus path). */
    static final String UNCLAIMED = "not claimed in xenstore";

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
     * @param owner the process recorded as driving the buffer, or null (no owner record)
     * @param ownerLiveness whether the owner is alive, or null without one
     */
    record Entry(String ifb, String vif, int domid, int devid, String xenbusPath, String hotplugStatus, Qdisc plug,
            List<String> problems, ProcessIdentity owner, Processes.Liveness ownerLiveness) {
        boolean complete() {
            return problems.isEmpty();
        }
    }

    /**
     * @param host the host
     * @return its buffers, sorted by IFB name
     * @throws NetworkBufferException when XenStore or the kernel cannot be read
     */
    static List<Entry> scan(Host host) {
        HostScan scan = HostScan.of(host);
        Map<String, HostScan.Claim> claims = new TreeMap<>();
        for (HostScan.Claim claim : scan.claims()) {
            if (claim.live() && isNumber(claim.domid()) && isNumber(claim.devid())) {
                claims.putIfAbsent(claim.ifb(), claim);
            }
        }
        Map<String, String> redirects = new TreeMap<>();
        scan.redirects().forEach((link, targets) -> {
            if (!scan.links().get(link).isIfb()) {
                targets.forEach(target -> redirects.putIfAbsent(target, link));
            }
        });
        TreeMap<String, Boolean> names = new TreeMap<>();
        claims.keySet().forEach(n -> names.put(n, true));
        redirects.keySet().forEach(n -> names.put(n, true));
        scan.links().values().stream().filter(Link::isIfb).filter(l -> scan.plug(l.name()).isPresent())
                .forEach(l -> names.put(l.name(), true));
        List<Entry> entries = new ArrayList<>();
        for (String ifb : names.keySet()) {
            HostScan.Claim claim = claims.get(ifb);
            String redirectedFrom = redirects.get(ifb);
            Link link = scan.links().get(ifb);
            Optional<Qdisc> plug = scan.plug(ifb);
            List<String> problems = new ArrayList<>();
            if (link == null || !link.isIfb()) {
                problems.add("no such IFB");
            } else if (!link.up()) {
                problems.add("IFB down");
            }
            if (plug.isEmpty()) {
                problems.add("no plug");
            }
            if (redirectedFrom == null) {
                problems.add("no redirect");
            }
            if (claim != null && claim.orphaned()) {
                problems.add("owner " + claim.owner().pid() + " is dead (netbuf reap)");
            }
            if (claim == null) {
                problems.add(UNCLAIMED);
            } else if (redirectedFrom != null && !redirectedFrom.equals(claim.vif())) {
                problems.add("claimed for " + claim.vif() + " but redirected from " + redirectedFrom);
            }
            String vif = redirectedFrom != null ? redirectedFrom : claim != null ? claim.vif() : null;
            entries.add(new Entry(ifb, vif, claim == null ? -1 : Integer.parseInt(claim.domid()),
                    claim == null ? -1 : Integer.parseInt(claim.devid()), claim == null ? null : claim.path(),
                    claim == null ? null : claim.hotplugStatus(), plug.orElse(null), List.copyOf(problems),
                    claim == null ? null : claim.owner(), claim == null ? null : claim.ownerLiveness()));
        }
        return entries;
    }

    private static boolean isNumber(String id) {
        return id.matches("[0-9]{1,9}");
    }
}
