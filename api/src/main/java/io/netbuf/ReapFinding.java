package io.netbuf;

import java.util.Objects;

/**
 * One piece of a buffer that was left behind (by a crashed controller, a failed script, a domain
 * that died without teardown) and that {@link ReapReport#apply()} would remove.
 *
 * @param kind what was left
 * @param xenbusPath the xenbus path of a claim ({@link Kind#STALE_CLAIM}, {@link Kind#UNPLUGGED_CLAIM},
 *     {@link Kind#UNREDIRECTED_CLAIM}, {@link Kind#ORPHANED_BUFFER}), else null
 * @param vif the vif whose ingress redirects ({@link Kind#DANGLING_REDIRECT}, {@link Kind#ORPHANED_BUFFER}),
 *     else null
 * @param ifb the IFB concerned (always set)
 * @param owner the dead owner as recorded ({@link io.netbuf.spi.ProcessIdentity#encode()};
 *     {@link Kind#ORPHANED_BUFFER}), else null
 */
public record ReapFinding(Kind kind, String xenbusPath, String vif, String ifb, String owner) {
    /** What was left behind, and what removing it means. */
    public enum Kind {
        /**
         * {@code /libxl/<domid>/remus/netbuf/<devid>/ifb} of a domain that is no longer listed under
         * {@code /local/domain}. Removal: the claim and that devid's {@code hotplug-status} and
         * {@code hotplug-error}.
         */
        STALE_CLAIM,
        /**
         * The claim of a live domain naming an IFB that is missing or has no plug (an attach that died
         * between its claim and its plug). Removal: the claim.
         */
        UNPLUGGED_CLAIM,
        /**
         * A live domain's claim of an IFB that has a plug but no vif redirects into it (an attach
         * that died after its plug and before its redirect, or a buffer whose vif is gone).
         * Removal: the claim; the plug is then reported as an {@link #ORPHAN_PLUG} too.
         */
        UNREDIRECTED_CLAIM,
        /**
         * netbuf's exact redirect filter (prio 10, u32 match-all, one mirred egress redirect) on an
         * interface's ingress into an IFB that a claim names and that has no root qdisc at all (no
         * plug, nor anyone else's shaping qdisc); or the vif of an {@link #UNPLUGGED_CLAIM} has an
         * ingress qdisc without any filter (an attach that died between the two). Removal: that
         * filter only, then the ingress qdisc if no filter is left on it; the IFB is set down when
         * nothing else uses it. Anyone else's filters and redirects are never touched.
         */
        DANGLING_REDIRECT,
        /**
         * A plug on an IFB that no live domain's claim names and no vif redirects to. Removal: the
         * IFB is set down (dropping what it held) and its plug deleted.
         */
        ORPHAN_PLUG,
        /**
         * A whole buffer of a live domain (claim, plug, netbuf's redirect) whose owner, the process
         * recorded beside the claim as driving the plug ({@code netbuf-owner}), is dead: a controller
         * or an {@code xl remus} that was killed before its teardown ran. The guest's output is held
         * for good. An owner that is alive, or that cannot be told from here (another pid namespace,
         * another boot), is no finding; nor is a claim without an owner record. Removal: the plug is
         * released first (what it held goes out), then netbuf's redirect, the IFB is set down and its
         * plug deleted (the IFB deleted when netbuf created it), then the claim, the hotplug status
         * and the owner record.
         */
        ORPHANED_BUFFER
    }

    /**
     * Checks the fields each kind needs.
     *
     * @param kind what was left
     * @param xenbusPath the xenbus path of a claim, else null
     * @param vif the vif whose ingress redirects, else null
     * @param ifb the IFB concerned (always set)
     * @param owner the dead owner as recorded ({@link Kind#ORPHANED_BUFFER}), else null
     */
    public ReapFinding {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(ifb, "ifb");
        boolean orphaned = kind == Kind.ORPHANED_BUFFER;
        boolean claim = kind == Kind.STALE_CLAIM || kind == Kind.UNPLUGGED_CLAIM || kind == Kind.UNREDIRECTED_CLAIM
                || orphaned;
        if (claim != (xenbusPath != null) || (kind == Kind.DANGLING_REDIRECT || orphaned) != (vif != null)
                || orphaned != (owner != null)) {
            throw new IllegalArgumentException("fields do not fit a " + kind + " finding");
        }
    }

    /**
     * A finding of any kind but {@link Kind#ORPHANED_BUFFER} (which names its owner).
     *
     * @param kind what was left
     * @param xenbusPath the xenbus path of a claim, else null
     * @param vif the vif whose ingress redirects, else null
     * @param ifb the IFB concerned (always set)
     */
    public ReapFinding(Kind kind, String xenbusPath, String vif, String ifb) {
        this(kind, xenbusPath, vif, ifb, null);
    }

    /** @return what was found, in words, e.g. {@code "ifb0: plug that nobody claims or redirects to"} */
    public String describe() {
        switch (kind) {
            case STALE_CLAIM:
                return xenbusPath + "/ifb = " + ifb + ": claim of a domain that no longer exists";
            case UNPLUGGED_CLAIM:
                return xenbusPath + "/ifb = " + ifb + ": claim of an IFB that has no plug";
            case UNREDIRECTED_CLAIM:
                return xenbusPath + "/ifb = " + ifb + ": claim of a plugged IFB that no vif redirects into";
            case DANGLING_REDIRECT:
                return vif + " -> " + ifb + ": redirect into an IFB that has no plug";
            case ORPHANED_BUFFER:
                return vif + " -> " + ifb + " (" + xenbusPath + "): buffer whose owner is dead (" + owner
                        + "): the guest's output is held";
            default:
                return ifb + ": plug that no claim names and no vif redirects to";
        }
    }
}
