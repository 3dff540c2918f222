package io.netbuf.impl.engine;

import io.netbuf.XenstoreException;
import io.netbuf.spi.XenstoreOps;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The XenStore records libxl and the hotplug script share: a buffer's claim
 * ({@code XENBUS_PATH/ifb}), its hotplug status and error, and the scan of every live domain's
 * claims ({@code /libxl/<domid>/remus/netbuf/<devid>/ifb} for each domid other than 0 listed under
 * {@code /local/domain}).
 */
final class XenbusRecord {
    static final String IFB = "/ifb";
    static final String HOTPLUG_STATUS = "/hotplug-status";
    static final String HOTPLUG_ERROR = "/hotplug-error";
    static final String CONNECTED = "connected";
    static final String ERROR = "error";

    private XenbusRecord() {
    }

    /**
     * A claim {@code <path>/ifb = ifb}, with {@code path = /libxl/<domid>/remus/netbuf/<devid>}.
     *
     * @param domid the claiming domain
     * @param devid the device
     * @param path the xenbus path
     * @param ifb the claimed IFB
     */
    record Claim(String domid, String devid, String path, String ifb) {
    }

    /**
     * Reads every live domain's claims (each domid other than 0 listed under {@code /local/domain}).
     *
     * @param ops where to look
     * @return each claimed IFB with the xenbus path that claims it (the first claimant, in
     *     XenStore's order, when two claim the same IFB)
     */
    static Map<String, String> claims(XenstoreOps ops) {
        List<String> domids = new ArrayList<>(listOrEmpty(ops, "/local/domain"));
        domids.remove("0");
        Map<String, String> claims = new LinkedHashMap<>();
        for (Claim claim : claimsOf(ops, domids)) {
            claims.putIfAbsent(claim.ifb(), claim.path());
        }
        return claims;
    }

    /**
     * Reads the claims of the given domains in two rounds (each domain's netbuf devices, then each
     * device's {@code ifb}); backends that pipeline send each round's requests together, so the
     * scan costs a few round trips rather than two per domain.
     *
     * @param ops where to look
     * @param domids the domains
     * @return their claims, in XenStore's order
     */
    static List<Claim> claimsOf(XenstoreOps ops, List<String> domids) {
        List<String> bases = new ArrayList<>(domids.size());
        for (String domid : domids) {
            bases.add("/libxl/" + domid + "/remus/netbuf");
        }
        List<Optional<List<String>>> devices = ops.listAll(bases);
        List<Claim> candidates = new ArrayList<>();
        List<String> ifbPaths = new ArrayList<>();
        for (int i = 0; i < bases.size(); i++) {
            for (String devid : devices.get(i).orElse(List.of())) {
                String path = bases.get(i) + "/" + devid;
                candidates.add(new Claim(domids.get(i), devid, path, null));
                ifbPaths.add(path + IFB);
            }
        }
        List<Optional<String>> ifbs = ops.readAll(ifbPaths);
        List<Claim> out = new ArrayList<>();
        for (int i = 0; i < candidates.size(); i++) {
            Claim c = candidates.get(i);
            ifbs.get(i).ifPresent(ifb -> out.add(new Claim(c.domid(), c.devid(), c.path(), ifb)));
        }
        return out;
    }

    /**
     * @param ops where to look
     * @param path a node
     * @return its children, or none when the node does not exist
     */
    static List<String> listOrEmpty(XenstoreOps ops, String path) {
        try {
            return ops.list(path);
        } catch (XenstoreException e) {
            if (e.isNotFound()) {
                return List.of();
            }
            throw e;
        }
    }
}
