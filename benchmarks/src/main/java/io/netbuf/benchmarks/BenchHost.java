package io.netbuf.benchmarks;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreBackends;
import io.netbuf.it.PlugStandIn;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Links;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * The real host of a benchmark: {@link SystemHost} in a throwaway namespace (rtnetlink or
 * {@code ip}/{@code tc}), with its own lock directory and, optionally, a XenStore backend pointed
 * at a testkit xenstored. Where the kernel has sch_plug the real plug is used; where it has not,
 * the plug is {@link PlugStandIn} and the feature check does not ask for sch_plug.
 */
final class BenchHost implements Host, AutoCloseable {
    /** How the plug is realised in this run. */
    enum Plug {
        /** sch_plug is present: the real plug qdisc and its actions. */
        REAL,
        /** sch_plug is missing: a root pfifo and its option change stand in for it. */
        STAND_IN;

        /** @return a line for the benchmark's output saying which plug was used */
        String describe() {
            return this == REAL ? "plug: real sch_plug (BUFFER / RELEASE_ONE plug actions)"
                    : "plug: STAND-IN (this kernel has no sch_plug): each plug action is the same RTM_NEWQDISC change "
                            + "sent to a root pfifo (RootQdiscRequests.change / tc qdisc change ... pfifo)";
        }
    }

    private final SystemHost system;
    private final Xenstore xenstore;
    private final Plug plug;
    private final TrafficControl trafficControl;
    private final KernelFeatures features;
    private final Path lockDir;

    private BenchHost(SystemHost system, Xenstore xenstore, Plug plug, TrafficControl trafficControl,
            KernelFeatures features, Path lockDir) {
        this.system = system;
        this.xenstore = xenstore;
        this.plug = plug;
        this.trafficControl = trafficControl;
        this.features = features;
        this.lockDir = lockDir;
    }

    /**
     * Opens the host.
     *
     * @param backend NATIVE (rtnetlink) or TOOLS (ip/tc)
     * @param namespace the namespace to act in
     * @param xenstore the XenStore backend to use, or null for none (an empty store that refuses writes)
     * @return the host; close it to release the socket, the lock directory and {@code xenstore}
     */
    static BenchHost open(SystemHost.Backend backend, BenchNamespace namespace, Xenstore xenstore) {
        Path lockDir;
        try {
            lockDir = Files.createTempDirectory("netbuf-bench-lock");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SystemHost system = SystemHost.builder().backend(backend).namespace(namespace.name()).lockDir(lockDir)
                .xenstore(XenstoreBackends.Mode.AUTO).build();
        KernelFeatures real = system.features();
        Plug plug = real.missing(EnumSet.of(KernelFeature.PLUG)).isEmpty() ? Plug.REAL : Plug.STAND_IN;
        if (plug == Plug.REAL) {
            return new BenchHost(system, xenstore, plug, system.trafficControl(), real, lockDir);
        }
        return new BenchHost(system, xenstore, plug, standIn(system, namespace.name()), new WithoutPlug(real),
                lockDir);
    }

    /**
     * Wraps a host whose plug is always the stand-in, whatever the kernel has: for side-by-side runs
     * in which both sides must use the same stand-in. Build {@code system} with a feature check that
     * does not ask for sch_plug ({@link WithoutPlug}).
     *
     * @param system the real host
     * @param namespace the network namespace {@code system} acts in, or null for this process's
     * @return the host; closing it closes {@code system}
     */
    static BenchHost withStandInPlug(SystemHost system, String namespace) {
        return new BenchHost(system, null, Plug.STAND_IN, standIn(system, namespace), system.features(), null);
    }

    private static TrafficControl standIn(SystemHost system, String namespace) {
        return new PlugStandIn(system.trafficControl(), new CommandRunner(Duration.ofSeconds(10), null),
                namespace);
    }

    /**
     * A feature check that never asks for sch_plug (the stand-in needs pfifo, which every kernel
     * has) and passes every other question on. A class rather than a lambda: the hotplug stand-in
     * runs in short-lived processes, where spinning an untrained lambda costs milliseconds.
     */
    static final class WithoutPlug implements KernelFeatures {
        private final KernelFeatures real;

        /** @param real the kernel's own check */
        WithoutPlug(KernelFeatures real) {
            this.real = real;
        }

        @Override
        public Set<KernelFeature> missing(Set<KernelFeature> wanted) {
            Set<KernelFeature> rest = EnumSet.noneOf(KernelFeature.class);
            rest.addAll(wanted);
            rest.remove(KernelFeature.PLUG);
            return real.missing(rest);
        }
    }

    /** @return which plug this host drives */
    Plug plug() {
        return plug;
    }

    @Override
    public String description() {
        return system.description() + (plug == Plug.STAND_IN ? ", pfifo stand-in plug" : "")
                + (xenstore != null ? ", xenstore " + xenstore.getClass().getSimpleName() : "");
    }

    @Override
    public Links links() {
        return system.links();
    }

    @Override
    public TrafficControl trafficControl() {
        return trafficControl;
    }

    @Override
    public Xenstore xenstore() {
        return xenstore != null ? xenstore : system.xenstore();
    }

    @Override
    public HostLock lock() {
        return system.lock();
    }

    @Override
    public KernelFeatures features() {
        return features;
    }

    /** Closes the netlink socket, the XenStore backend and removes the lock directory (if it made one). */
    @Override
    public void close() {
        system.close();
        if (xenstore != null) {
            XenstoreBackends.closeQuietly(xenstore);
        }
        if (lockDir == null) {
            return;
        }
        try (var files = Files.list(lockDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(lockDir);
        } catch (IOException e) {
            System.err.println("could not remove " + lockDir + ": " + e);
        }
    }
}
