package io.netbuf.impl.tools;

/**
 * Which command the tools backend drives the plug qdisc with. Everything else (links, the ingress
 * qdisc, the redirect filter, deletion, stats) always goes through {@code ip} and {@code tc}.
 */
public enum PlugTool {
    /** iproute2's {@code tc} (the default): {@code tc qdisc add|change ... plug ...}. */
    TC,
    /**
     * libnl's {@code nl-qdisc-add} (Debian package {@code libnl-utils}), the tool Xen's own script
     * uses; the limit is set in the same call that creates the plug. Debian's build cannot load its
     * plug module unless {@code <libdir>/libnl} leads to {@code <libdir>/libnl-3}; netbuf never
     * changes that, it reports it.
     */
    LIBNL
}
