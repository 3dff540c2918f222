package io.netbuf.event;

import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Which buffer an event concerns.
 *
 * @param vif the guest's vif
 * @param ifb the IFB holding its output
 * @param domain the guest's domain id: from the xenbus path ({@code /libxl/<domid>/...}), else
 *     from a vif named {@code vif<domid>.<devid>}; empty when neither tells
 */
public record BufferId(String vif, String ifb, OptionalInt domain) {
    private static final Pattern LIBXL_PATH = Pattern.compile("^/libxl/(\\d{1,9})/.*");
    private static final Pattern XEN_VIF = Pattern.compile("^vif(\\d{1,9})\\.\\d+(-emu)?$");

    /**
     * @param vif the guest's vif
     * @param ifb the IFB
     * @param xenbusPath the buffer's xenbus path, or null
     * @return the identity, with the domain found from the path or the vif name
     */
    public static BufferId of(String vif, String ifb, String xenbusPath) {
        Matcher m = xenbusPath == null ? null : LIBXL_PATH.matcher(xenbusPath);
        if (m == null || !m.matches()) {
            m = XEN_VIF.matcher(vif);
        }
        return new BufferId(vif, ifb, m.matches() ? OptionalInt.of(Integer.parseInt(m.group(1))) : OptionalInt.empty());
    }

    /** @return the domain id as text, or {@code "unknown"} (e.g. for a metric tag) */
    public String domainLabel() {
        return domain.isPresent() ? Integer.toString(domain.getAsInt()) : "unknown";
    }

    @Override
    public String toString() {
        return vif + " -> " + ifb + " (domain " + domainLabel() + ")";
    }
}
