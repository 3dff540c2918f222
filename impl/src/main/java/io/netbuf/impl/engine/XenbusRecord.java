package io.netbuf.impl.engine;

import io.netbuf.XenstoreException;
import io.netbuf.spi.XenstoreOps;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
     * @param ops where to look
     * @return each claimed IFB with the xenbus path that claims it
     */
    static Map<String, String> claims(XenstoreOps ops) {
        Map<String, String> claims = new LinkedHashMap<>();
        for (String domid : listOrEmpty(ops, "/local/domain")) {
            if (domid.equals("0")) {
                continue;
            }
            String base = "/libxl/" + domid + "/remus/netbuf";
            for (String devid : listOrEmpty(ops, base)) {
                String path = base + "/" + devid;
                ops.read(path + IFB).ifPresent(ifb -> claims.putIfAbsent(ifb, path));
            }
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
