package io.netbuf.spi;

import java.util.List;

/**
 * A filter under an interface's ingress qdisc, as the kernel lists it. Kernel bookkeeping entries
 * (a priority's header, u32's hash tables) are not filters and are not listed.
 *
 * @param kind the classifier, e.g. {@code "u32"}, {@code "matchall"}, {@code "flower"}
 * @param prio its priority ({@code pref})
 * @param protocol the ethertype it matches (host order), e.g. {@link #ETH_P_ALL} or {@link #ETH_P_IP}
 * @param chain its chain (0 unless an administrator uses chains)
 * @param handle the kernel's handle of the filter (for u32 {@code htid << 20 | hash << 12 | node})
 * @param target the device its first mirred egress redirect sends to, or null when it has none (or
 *     the device is gone)
 * @param matchAllRedirect whether it is a u32 filter with exactly one key that matches every
 *     packet and exactly one action, a mirred egress redirect
 */
public record IngressFilter(String kind, int prio, int protocol, int chain, int handle, String target,
        boolean matchAllRedirect) {
    /** {@code ETH_P_ALL}: every protocol. */
    public static final int ETH_P_ALL = 0x0003;
    /** {@code ETH_P_IP}: IPv4 (what Xen's script redirects). */
    public static final int ETH_P_IP = 0x0800;
    /** The priority of netbuf's (and Xen's script's) redirect filter. */
    public static final int NETBUF_PRIO = 10;

    /**
     * @return whether this is exactly the filter netbuf (or Xen's script) adds: priority 10,
     *     chain 0, every protocol or IPv4, u32 match-all, one mirred egress redirect to a device
     */
    public boolean isNetbufRedirect() {
        return matchAllRedirect && "u32".equals(kind) && prio == NETBUF_PRIO && chain == 0 && target != null
                && (protocol == ETH_P_ALL || protocol == ETH_P_IP);
    }

    /**
     * @param ifb a device name
     * @return whether this is netbuf's redirect filter into {@code ifb}
     */
    public boolean isNetbufRedirectTo(String ifb) {
        return isNetbufRedirect() && target.equals(ifb);
    }

    /**
     * Whether this filter is the only one at its priority and chain among {@code filters}. A backend
     * then deletes the whole priority: deleting a u32 node alone leaves its empty hash table behind.
     *
     * @param filters the filters of the device, as listed
     * @return true when this filter is listed and no other filter shares its priority and chain
     */
    public boolean aloneAtItsPriority(List<IngressFilter> filters) {
        boolean found = false;
        for (IngressFilter f : filters) {
            if (f.prio() == prio && f.chain() == chain) {
                if (f.handle() != handle || !f.kind().equals(kind)) {
                    return false;
                }
                found = true;
            }
        }
        return found;
    }
}
