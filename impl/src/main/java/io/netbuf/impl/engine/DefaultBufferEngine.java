package io.netbuf.impl.engine;

import io.netbuf.BufferGroup;
import io.netbuf.InsufficientPrivilegeException;
import io.netbuf.MissingKernelFeatureException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.ReapReport;
import io.netbuf.RedirectFailedException;
import io.netbuf.spi.BufferEngine;
import io.netbuf.spi.BufferSpec;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.Link;
import io.netbuf.spi.ProcessIdentity;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The setup/teardown engine: Xen's remus-netbuf-setup done right. Attach redirects every protocol,
 * creates the plug with its limit in one step, holds the host lock with a bounded wait, and on
 * any failure undoes every step in reverse before recording {@code hotplug-error} and throwing.
 */
public final class DefaultBufferEngine implements BufferEngine {
    private static final Logger LOG = LoggerFactory.getLogger(DefaultBufferEngine.class);
    private static final Set<KernelFeature> REQUIRED = EnumSet.allOf(KernelFeature.class);

    /** Creates the engine (found by {@link java.util.ServiceLoader}). */
    public DefaultBufferEngine() {
    }

    @Override
    public NetworkBuffer attach(BufferSpec spec, Host host) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(host, "host");
        try (MDC.MDCCloseable v = MDC.putCloseable("vif", spec.vif())) {
            long start = System.nanoTime();
            Undo undo = new Undo();
            try {
                AttachedBuffer buffer = attach(spec, host, undo);
                LOG.info("vif={} ifb={}: attached on {} (limit {} bytes, {}) in {} us", spec.vif(), buffer.ifb(),
                        host.description(), spec.limitBytes(), spec.protocols(), (System.nanoTime() - start) / 1000);
                buffer.announce(false);
                return buffer;
            } catch (RuntimeException failure) {
                undo.rollback(failure);
                RuntimeException e = explainRefusal("attach", failure, spec.vif());
                // The cause is the exception's message, which the caller reports: said here, it would be twice.
                LOG.warn("vif={}: attach failed ({}), every step undone", spec.vif(), e.getClass().getSimpleName());
                spec.xenbus().ifPresent(path -> recordError(host, path, e));
                throw e;
            } finally {
                MDC.remove("ifb");
            }
        }
    }

    private AttachedBuffer attach(BufferSpec spec, Host host, Undo undo) {
        Set<KernelFeature> missing = host.features().missing(REQUIRED);
        if (!missing.isEmpty()) {
            throw new MissingKernelFeatureException(missing, spec.vif());
        }
        if (host.links().find(spec.vif()).isEmpty()) {
            throw new RedirectFailedException("find vif", spec.vif(), null,
                    OperationFailedException.of("find vif", "no network interface named " + spec.vif(), spec.vif(),
                            null, null));
        }
        Optional<ProcessIdentity> owner = OwnerRecord.ownerOf(host, spec);
        IfbPicker.Pick pick;
        String ifb;
        Ipv6AddrGenMode restoreMode;
        try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, spec.lockTimeout())) {
            pick = new IfbPicker(host, spec, owner).pickAndClaim(undo);
            ifb = pick.ifb();
            MDC.put("ifb", ifb);
            restoreMode = stopIpv6Autoconfiguration(spec, host, ifb, undo);
            // The plug goes on while the IFB is still down: bringing it up then attaches no default
            // qdisc, so a rollback or teardown leaves the IFB exactly as it was (Xen's script takes
            // an IFB that lists any qdisc, even a default one, for busy).
            boolean wasUp = host.links().find(ifb).map(Link::up).orElse(false);
            plug(spec, host, ifb, undo);
            redirect(spec, host, ifb, wasUp, undo);
        }
        spec.xenbus().ifPresent(path -> host.xenstore().transaction(ops -> {
            ops.write(path + XenbusRecord.HOTPLUG_STATUS, XenbusRecord.CONNECTED);
            if (ops.exists(path + XenbusRecord.HOTPLUG_ERROR)) {
                ops.rm(path + XenbusRecord.HOTPLUG_ERROR);
            }
            return null;
        }));
        AttachedBuffer buffer = new AttachedBuffer(host, spec, ifb, pick.created(),
                pick.created() ? null : restoreMode);
        LiveBuffers.add(buffer);
        return buffer;
    }

    /**
     * Gives the IFB no IPv6 address: once up, it would otherwise send IPv6 packets of its own
     * (router solicitations, MLD reports) through its plug, mixed with the guest's output.
     *
     * @return the IPv6 address generation mode the IFB had, to restore at teardown; null when unchanged
     */
    private static Ipv6AddrGenMode stopIpv6Autoconfiguration(BufferSpec spec, Host host, String ifb, Undo undo) {
        List<Optional<Ipv6AddrGenMode>> before = new ArrayList<>(1);
        step("stop IPv6 autoconfiguration on " + ifb, spec.vif(), ifb, false,
                () -> before.add(host.links().setIpv6AddrGenMode(ifb, Ipv6AddrGenMode.NONE)));
        Ipv6AddrGenMode restore = before.get(0).filter(mode -> mode != Ipv6AddrGenMode.NONE).orElse(null);
        if (restore != null) {
            undo.push("restore IPv6 addrgenmode " + restore.iproute2Name() + " on " + ifb,
                    () -> host.links().setIpv6AddrGenMode(ifb, restore));
        }
        return restore;
    }

    /** Brings the IFB up and redirects the vif's ingress into it. */
    private static void redirect(BufferSpec spec, Host host, String ifb, boolean wasUp, Undo undo) {
        String vif = spec.vif();
        step("set " + ifb + " up", vif, ifb, false, () -> host.links().setUp(ifb, true));
        if (!wasUp) {
            undo.push("set " + ifb + " down", () -> host.links().setUp(ifb, false));
        }
        step("add ingress qdisc", vif, ifb, false, () -> host.trafficControl().addIngress(vif));
        undo.push("delete ingress qdisc of " + vif, () -> host.trafficControl().deleteIngress(vif));
        step("add redirect filter", vif, ifb, false,
                () -> host.trafficControl().addRedirect(vif, ifb, spec.protocols()));
    }

    private static void plug(BufferSpec spec, Host host, String ifb, Undo undo) {
        step("add plug qdisc", spec.vif(), ifb, true, () -> host.trafficControl().addPlug(ifb, spec.limitBytes()));
        undo.push("delete plug qdisc of " + ifb, () -> host.trafficControl().deleteRoot(ifb));
    }

    /** Runs one step; a refused operation becomes the step's typed exception, others pass through. */
    private static void step(String name, String vif, String ifb, boolean plugStep, Runnable action) {
        try {
            action.run();
        } catch (OperationFailedException e) {
            throw plugStep ? new PlugFailedException(name, vif, ifb, e) : new RedirectFailedException(name, vif, ifb, e);
        }
    }

    /**
     * A failure caused by the host refusing this process (EPERM, EACCES) is reported as what it is,
     * {@link InsufficientPrivilegeException}, rather than as the step it stopped.
     *
     * @return {@code failure}, or the privilege failure wrapping it
     */
    static RuntimeException explainRefusal(String operation, RuntimeException failure, String vif) {
        if (!(failure instanceof NetworkBufferException)) {
            return failure;
        }
        return InsufficientPrivilegeException.explain(vif == null ? operation : operation + " of " + vif,
                (NetworkBufferException) failure);
    }

    private static void recordError(Host host, String path, RuntimeException failure) {
        try {
            host.xenstore().transaction(ops -> {
                ops.write(path + XenbusRecord.HOTPLUG_ERROR, String.valueOf(failure.getMessage()));
                ops.write(path + XenbusRecord.HOTPLUG_STATUS, XenbusRecord.ERROR);
                return null;
            });
        } catch (NetworkBufferException e) {
            LOG.error("could not record hotplug-error at {}: {}", path, e.getMessage());
            failure.addSuppressed(e);
        }
    }

    @Override
    public void teardown(BufferSpec spec, String ifb, Host host) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(host, "host");
        try (MDC.MDCCloseable v = MDC.putCloseable("vif", spec.vif())) {
            Teardown teardown = new Teardown(host, spec.vif(), spec.xenbusPath());
            try {
                teardown.byDescription(ifb);
                teardown.throwIfFailed();
            } catch (RuntimeException e) {
                throw explainRefusal("teardown", e, spec.vif());
            }
        }
    }

    @Override
    public NetworkBuffer adopt(BufferSpec spec, Host host) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(host, "host");
        try (MDC.MDCCloseable v = MDC.putCloseable("vif", spec.vif())) {
            AttachedBuffer buffer;
            try {
                buffer = new Adoption(host, spec).adopt();
            } catch (RuntimeException e) {
                throw explainRefusal("adopt", e, spec.vif());
            }
            LiveBuffers.add(buffer);
            buffer.announce(true);
            return buffer;
        }
    }

    @Override
    public ReapReport reap(Host host) {
        try {
            return new Reaper(Objects.requireNonNull(host, "host")).scan();
        } catch (RuntimeException e) {
            throw explainRefusal("reap", e, null);
        }
    }

    @Override
    public BufferGroup group(List<NetworkBuffer> members) {
        return new DefaultBufferGroup(members);
    }
}
