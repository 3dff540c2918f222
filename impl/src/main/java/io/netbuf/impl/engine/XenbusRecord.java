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
     * Reads every live domain's claims in three rounds (the domain list, each domain's netbuf
     * devices, each device's {@code ifb}); backends that pipeline send each round's requests
     * together, so the scan costs a few round trips rather than two per domain.
     *
     * @param ops where to look
     * @return each claimed IFB with the xenbus path that claims it (the first claimant, in
     *     XenStore's order, when two claim the same IFB)
     */
    static Map<String, String> claims(XenstoreOps ops) {
        List<String> bases = new ArrayList<>();
        for (String domid : listOrEmpty(ops, "/local/domain")) {
            if (!domid.equals("0")) {
                bases.add("/libxl/" + domid + "/remus/netbuf");
            }
        }
        List<Optional<List<String>>> devices = ops.listAll(bases);
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < bases.size(); i++) {
            for (String devid : devices.get(i).orElse(List.of())) {
                paths.add(bases.get(i) + "/" + devid);
            }
        }
        List<String> ifbPaths = new ArrayList<>(paths.size());
        for (String path : paths) {
            ifbPaths.add(path + IFB);
        }
        List<Optional<String>> ifbs = ops.readAll(ifbPaths);
        Map<String, String> claims = new LinkedHashMap<>();
        for (int i = 0; i < paths.size(); i++) {
            String path = paths.get(i);
            ifbs.get(i).ifPresent(ifb -> claims.putIfAbsent(ifb, path));
        }
        return claims;
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
