package io.netbuf.impl.engine;

import io.netbuf.BufferInUseException;
import io.netbuf.BufferStateMismatchException;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBufferException;
import io.netbuf.PlugFailedException;
import io.netbuf.Validate;
import io.netbuf.spi.BufferSpec;
import io.netbuf.spi.Host;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes over a buffer an earlier run left on the host, once the kernel is shown to match its
 * record. The check runs under the host lock, so no attach is half done while it looks.
 */
final class Adoption {
    private static final Logger LOG = LoggerFactory.getLogger(Adoption.class);

    private final Host host;
    private final BufferSpec spec;

    Adoption(Host host, BufferSpec spec) {
        this.host = host;
        this.spec = spec;
    }

    /**
     * Verifies the host and returns a handle on the buffer; sets the plug's limit to the spec's.
     *
     * @return the adopted buffer, in epoch state {@link io.netbuf.EpochState#OPEN}
     * @throws BufferStateMismatchException if the host does not match the record
     * @throws BufferInUseException if a live handle in this JVM owns the vif or the IFB
     */
    AttachedBuffer adopt() {
        String vif = spec.vif();
        String ifb;
        boolean createdIfb;
        refuseIfOwned(null);
        Optional<ProcessIdentity> owner = OwnerRecord.ownerOf(host, spec);
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, spec.lockTimeout())) {
            List<String> differences = new ArrayList<>();
            boolean vifExists = host.links().find(vif).isPresent();
            List<String> targets = vifExists ? host.trafficControl().redirectTargets(vif) : List.of();
            ifb = spec.xenbusPath() != null ? claimedIfb(differences) : redirectedIfb(targets, differences);
            refuseIfOwned(ifb);
            if (!vifExists) {
                differences.add("vif " + vif + " does not exist");
            } else if (targets.isEmpty()) {
                differences.add(vif + "'s ingress redirects nowhere");
            } else if (ifb != null && !targets.equals(List.of(ifb))) {
                differences.add(vif + "'s ingress redirects to " + targets + ", not to " + ifb + " alone");
            }
            if (ifb != null) {
                checkIfb(ifb, differences);
            }
            if (!differences.isEmpty()) {
                throw BufferStateMismatchException.of(vif, ifb, differences);
            }
            Optional<String> previousOwner = spec.xenbus().flatMap(path -> host.xenstore().read(path + OwnerRecord.NODE));
            createdIfb = previousOwner.flatMap(OwnerRecord::parse).map(OwnerRecord::createdIfb).orElse(false);
            // The adopting handle drives the buffer from now on until its close: it becomes the owner.
            spec.xenbus().ifPresent(path -> OwnerRecord.write(host.xenstore(), path, owner, createdIfb));
            try {
                host.trafficControl().plug(List.of(ifb), PlugAction.limit(spec.limitBytes()));
            } catch (NetworkBufferException e) {
                restoreOwner(previousOwner, owner.isPresent());
                throw new PlugFailedException("LIMIT " + spec.limitBytes(), vif, ifb, e);
            }
        }
        LOG.info("vif={} ifb={}: adopted on {} (limit set to {} bytes)", vif, ifb, host.description(),
                spec.limitBytes());
        // The IFB's IPv6 mode before the earlier run is unknown: close gives it the kernel's default back.
        // An IFB the earlier owner's attach created (its owner record says so) is deleted at close.
        return new AttachedBuffer(host, spec, ifb, createdIfb, Ipv6AddrGenMode.EUI64);
    }

    /** Puts the owner record back as it was before a failed adoption rewrote it. */
    private void restoreOwner(Optional<String> previous, boolean rewritten) {
        if (!rewritten) {
            return;
        }
        String node = spec.xenbusPath() + OwnerRecord.NODE;
        try {
            if (previous.isPresent()) {
                host.xenstore().write(node, previous.get());
            } else {
                host.xenstore().transaction(ops -> {
                    Teardown.rmIfPresent(ops, node);
                    return null;
                });
            }
        } catch (NetworkBufferException e) {
            LOG.warn("vif={}: could not restore the owner record at {}: {}", spec.vif(), node, e.getMessage());
        }
    }

    /** Refuses the adoption when a live handle of this JVM drives the vif, or {@code ifb} when given. */
    private void refuseIfOwned(String ifb) {
        Optional<AttachedBuffer> owner = LiveBuffers.owner(host, spec.vif(), ifb);
        if (owner.isPresent()) {
            throw BufferInUseException.of(spec.vif(), ifb != null ? ifb : owner.get().ifb(), owner.get().toString());
        }
    }

    private String claimedIfb(List<String> differences) {
        String path = spec.xenbusPath() + XenbusRecord.IFB;
        Optional<String> claim = host.xenstore().read(path);
        if (claim.isEmpty()) {
            differences.add("there is no claim at " + path);
            return null;
        }
        try {
            return Validate.ifb(claim.get());
        } catch (InvalidConfigurationException e) {
            differences.add(path + " holds \"" + claim.get() + "\", which is not an interface name");
            return null;
        }
    }

    private String redirectedIfb(List<String> targets, List<String> differences) {
        if (targets.size() == 1) {
            return targets.get(0);
        }
        if (targets.size() > 1) {
            differences.add(spec.vif() + "'s ingress redirects to several devices " + targets);
        }
        return null;
    }

    private void checkIfb(String ifb, List<String> differences) {
        Optional<Link> link = host.links().find(ifb);
        if (link.isEmpty()) {
            differences.add(ifb + " does not exist");
            return;
        }
        if (!link.get().isIfb()) {
            differences.add(ifb + " is not an IFB (kind \"" + link.get().kind() + "\")");
        }
        if (!link.get().up()) {
            differences.add(ifb + " is down");
        }
        String root = null;
        for (Qdisc q : host.trafficControl().qdiscs(ifb)) {
            if (q.isExplicit() && q.parent() == TrafficControl.ROOT) {
                root = q.kind();
            }
        }
        if (!"plug".equals(root)) {
            differences.add(ifb + " has no root plug (root qdisc: " + (root == null ? "kernel default" : root) + ")");
        }
    }
}
