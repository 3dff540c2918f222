package io.netbuf.impl.engine;

import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.Host;
import io.netbuf.spi.XenstoreOps;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every live domain's IFB claims, kept current by a watch on {@code /libxl} instead of read anew
 * at each pick: an attach then costs the same with 1,000 domains as with one. Only for hosts
 * that report changes in order with their replies ({@link Host#changeFeed()}): listing the live domains
 * is a round trip, after which every change committed before it has marked its domain stale, and
 * only the stale domains (and those newly listed) are read again. Exact under the host lock, which
 * every claimer holds.
 */
final class ClaimIndex implements ChangeFeed.ChangeListener {
    private static final Logger LOG = LoggerFactory.getLogger(ClaimIndex.class);
    private static final String LIBXL = "/libxl";
    /** One index per feed; the index holds no reference to its feed, so both can be collected. */
    private static final Map<ChangeFeed, ClaimIndex> INDEXES = new WeakHashMap<>();

    /** Changed by the reader thread, emptied by {@link #claims}. */
    private final Set<String> staleDomains = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean allStale = new AtomicBoolean(true);
    /**
     * The claims of each domain read since its last change, in XenStore's order (an empty list for
     * a domain without claims); guarded by {@code this}.
     */
    private final Map<String, List<XenbusRecord.Claim>> fresh = new HashMap<>();

    private ClaimIndex() {
    }

    /**
     * @param host a host
     * @return the index of its change feed, started on first use; empty when the host has no feed
     *     (then read the claims with {@link XenbusRecord#claims})
     */
    static Optional<ClaimIndex> of(Host host) {
        return host.changeFeed().map(ClaimIndex::of);
    }

    /**
     * @param feed the changes of the store the claims are read from
     * @return its index, started on first use
     */
    static ClaimIndex of(ChangeFeed feed) {
        synchronized (INDEXES) {
            ClaimIndex index = INDEXES.get(feed);
            if (index == null) {
                index = new ClaimIndex();
                feed.track(LIBXL, index);
                INDEXES.put(feed, index);
            }
            return index;
        }
    }

    /**
     * Reads what changed since the last call and returns every live domain's claims, as
     * {@link XenbusRecord#claims} would read them.
     *
     * @param ops the store whose changes the index's feed reports
     * @return each claimed IFB with the xenbus path that claims it (the first claimant, in
     *     XenStore's order, when two claim the same IFB)
     */
    synchronized Map<String, String> claims(XenstoreOps ops) {
        // A round trip: from here on every earlier change has marked its domain stale.
        List<String> live = new ArrayList<>(XenbusRecord.listOrEmpty(ops, "/local/domain"));
        live.remove("0");
        if (allStale.getAndSet(false)) {
            fresh.clear();
            staleDomains.clear();
        }
        for (String domid : List.copyOf(staleDomains)) {
            staleDomains.remove(domid);
            fresh.remove(domid);
        }
        // Unlisted domains are forgotten: one listed again is read as new.
        fresh.keySet().retainAll(Set.copyOf(live));
        List<String> reread = new ArrayList<>();
        for (String domid : live) {
            if (!fresh.containsKey(domid)) {
                reread.add(domid);
            }
        }
        if (!reread.isEmpty()) {
            Map<String, List<XenbusRecord.Claim>> read = new HashMap<>();
            reread.forEach(domid -> read.put(domid, new ArrayList<>()));
            try {
                for (XenbusRecord.Claim claim : XenbusRecord.claimsOf(ops, reread)) {
                    read.get(claim.domid()).add(claim);
                }
            } catch (RuntimeException e) {
                allStale.set(true);
                throw e;
            }
            fresh.putAll(read);
            LOG.debug("claim index: read {} of {} domain(s)", reread.size(), live.size());
        }
        Map<String, String> claims = new LinkedHashMap<>();
        for (String domid : live) {
            for (XenbusRecord.Claim claim : fresh.get(domid)) {
                claims.putIfAbsent(claim.ifb(), claim.path());
            }
        }
        return claims;
    }

    @Override
    public void changed(String path) {
        if (!path.startsWith(LIBXL + "/")) {
            allStale.set(true);
            return;
        }
        int domidEnd = path.indexOf('/', LIBXL.length() + 1);
        String domid = path.substring(LIBXL.length() + 1, domidEnd < 0 ? path.length() : domidEnd);
        if (domidEnd < 0 || isAtOrUnder(path, domidEnd, "remus")) {
            staleDomains.add(domid);
        }
    }

    @Override
    public void missed() {
        allStale.set(true);
    }

    /** @return whether the component after {@code path[from]} ({@code '/'}) is {@code name}, the path's last or not */
    private static boolean isAtOrUnder(String path, int from, String name) {
        int end = from + 1 + name.length();
        return path.startsWith(name, from + 1) && (end == path.length() || path.charAt(end) == '/');
    }
}
