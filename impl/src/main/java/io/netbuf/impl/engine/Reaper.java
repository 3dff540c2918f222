package io.netbuf.impl.engine;

import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.ReapFinding;
import io.netbuf.ReapFinding.Kind;
import io.netbuf.ReapReport;
import io.netbuf.spi.Host;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.HostLock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds and removes what buffers left behind (see {@link ReapFinding.Kind}). Both the scan and the
 * removal run under the host lock, and the removal re-scans first: only what both scans saw is
 * removed, so a buffer attached or repaired in between is never touched.
 */
final class Reaper {
    private static final Logger LOG = LoggerFactory.getLogger(Reaper.class);

    private final Host host;

    Reaper(Host host) {
        this.host = host;
    }

    /** @return the findings, with {@link ReapReport#apply()} bound to this host */
    ReapReport scan() {
        List<ReapFinding> findings;
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, NetworkBuffer.DEFAULT_LOCK_TIMEOUT)) {
            findings = List.copyOf(HostScan.of(host).findings());
        }
        findings.forEach(f -> LOG.info("reap found on {}: {}", host.description(), f.describe()));
        return new Report(findings);
    }

    private List<ReapFinding> apply(List<ReapFinding> found) {
        Failures failures = new Failures();
        List<ReapFinding> removed = new ArrayList<>();
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, NetworkBuffer.DEFAULT_LOCK_TIMEOUT)) {
            HostScan now = HostScan.of(host);
            Set<ReapFinding> still = new LinkedHashSet<>(now.findings());
            List<ReapFinding> todo = found.stream().filter(still::contains).toList();
            Set<String> unclaimed = new HashSet<>();
            Set<String> vifsDone = new HashSet<>();
            for (ReapFinding f : todo) {
                boolean ok;
                switch (f.kind()) {
                    case STALE_CLAIM:
                        ok = step(failures, f, () -> removeStaleClaim(f));
                        break;
                    case UNPLUGGED_CLAIM:
                    case UNREDIRECTED_CLAIM:
                        ok = step(failures, f, () -> {
                            Teardown.removeClaimIfOurs(host, f.xenbusPath(), f.ifb());
                            return null;
                        });
                        if (ok) {
                            unclaimed.add(f.ifb());
                        }
                        break;
                    case ORPHANED_BUFFER:
                        ok = step(failures, f, () -> {
                            Teardown teardown = new Teardown(host, f.vif(), f.xenbusPath());
                            teardown.orphaned(f.ifb(), now.claimAt(f.xenbusPath()).map(HostScan.Claim::createdIfb)
                                    .orElse(false));
                            teardown.throwIfFailed();
                            return null;
                        });
                        break;
                    case DANGLING_REDIRECT:
                        // Only netbuf's filter into this IFB; the ingress qdisc only when it is then empty.
                        ok = step(failures, f, () -> {
                            Teardown.removeNetbufRedirects(host, f.vif(), f.ifb(), true);
                            return null;
                        });
                        if (ok) {
                            vifsDone.add(f.vif() + " -> " + f.ifb());
                        }
                        break;
                    default:
                        ok = step(failures, f, () -> {
                            host.links().setUp(f.ifb(), false);
                            host.trafficControl().deleteRoot(f.ifb());
                            host.links().setIpv6AddrGenMode(f.ifb(), Ipv6AddrGenMode.EUI64);
                            return null;
                        });
                }
                if (ok) {
                    removed.add(f);
                    LOG.info("reaped on {}: {}", host.description(), f.describe());
                }
            }
            setIdleIfbsDown(now, todo, vifsDone, unclaimed, failures);
        }
        failures.throwIfAny();
        return List.copyOf(removed);
    }

    /**
     * {@code vifsDone} holds {@code "vif -> ifb"} for each redirect removed.
     * An IFB that a dangling redirect pointed at, or that an unplugged claim named, was set up by an
     * attach that never finished: set it down with the kernel's default IPv6 mode again once no other
     * redirect and no remaining live claim uses it.
     */
    private void setIdleIfbsDown(HostScan scan, List<ReapFinding> done, Set<String> vifsDone, Set<String> unclaimed,
            Failures failures) {
        Set<String> stillRedirected = new HashSet<>();
        scan.ingressFilters().forEach((vif, filters) -> filters.stream()
                .filter(r -> r.target() != null && !(r.isNetbufRedirect() && vifsDone.contains(vif + " -> " + r.target())))
                .forEach(r -> stillRedirected.add(r.target())));
        Set<String> stillClaimed = new HashSet<>(scan.liveClaimed());
        stillClaimed.removeAll(unclaimed);
        Set<String> idle = new LinkedHashSet<>();
        for (ReapFinding f : done) {
            boolean unfinishedRedirect = f.kind() == Kind.DANGLING_REDIRECT
                    && vifsDone.contains(f.vif() + " -> " + f.ifb()) && scan.isBareUpIfb(f.ifb());
            boolean unfinishedClaim = f.kind() == Kind.UNPLUGGED_CLAIM && scan.isBareIfb(f.ifb());
            if ((unfinishedRedirect || unfinishedClaim) && !stillRedirected.contains(f.ifb())
                    && !stillClaimed.contains(f.ifb())) {
                idle.add(f.ifb());
            }
        }
        for (String ifb : idle) {
            try {
                host.links().setUp(ifb, false);
                host.links().setIpv6AddrGenMode(ifb, Ipv6AddrGenMode.EUI64);
            } catch (NetworkBufferException e) {
                LOG.warn("reap: could not set {} down: {}", ifb, e.getMessage());
                failures.add(e);
            }
        }
    }

    private Void removeStaleClaim(ReapFinding f) {
        String path = f.xenbusPath();
        host.xenstore().transaction(ops -> {
            if (ops.read(path + XenbusRecord.IFB).filter(f.ifb()::equals).isPresent()) {
                ops.rm(path + XenbusRecord.IFB);
                Teardown.rmIfPresent(ops, path + OwnerRecord.NODE);
                Teardown.rmIfPresent(ops, path + XenbusRecord.HOTPLUG_STATUS);
                Teardown.rmIfPresent(ops, path + XenbusRecord.HOTPLUG_ERROR);
            }
            return null;
        });
        return null;
    }

    private static boolean step(Failures failures, ReapFinding f, Supplier<Void> action) {
        try {
            action.get();
            return true;
        } catch (NetworkBufferException e) {
            LOG.warn("reap: could not remove {}: {}", f.describe(), e.getMessage());
            failures.add(e);
            return false;
        }
    }

    /** The findings of one scan, applicable once or more (a second apply removes what came back). */
    private final class Report implements ReapReport {
        private final List<ReapFinding> findings;

        Report(List<ReapFinding> findings) {
            this.findings = findings;
        }

        @Override
        public List<ReapFinding> findings() {
            return findings;
        }

        @Override
        public List<ReapFinding> apply() {
            return Reaper.this.apply(findings);
        }

        @Override
        public String toString() {
            return "ReapReport" + findings;
        }
    }
}
