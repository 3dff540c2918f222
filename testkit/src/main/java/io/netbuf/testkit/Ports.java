package io.netbuf.testkit;

import io.netbuf.Protocols;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.Links;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import io.netbuf.spi.XenstoreOps;
import io.netbuf.testkit.internal.FakeKernel;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/** The port facades of a {@link FakeHost}: each call goes through the {@link Invoker}, then to the fake. */
final class Ports {
    private Ports() {
    }

    /** {@link Links} on the fake kernel. */
    static final class FakeLinks implements Links {
        private final Invoker invoker;
        private final FakeKernel kernel;

        FakeLinks(Invoker invoker, FakeKernel kernel) {
            this.invoker = invoker;
            this.kernel = kernel;
        }

        @Override
        public Optional<Link> find(String name) {
            return invoker.call("links.find", Arrays.asList(name), () -> kernel.find(Objects.requireNonNull(name, "name")));
        }

        @Override
        public List<Link> all() {
            return invoker.call("links.all", Arrays.asList(), kernel::all);
        }

        @Override
        public List<Link> ifbs() {
            return invoker.call("links.ifbs", Arrays.asList(), kernel::ifbs);
        }

        @Override
        public void createIfb(String name) {
            invoker.run("links.createIfb", Arrays.asList(name), () -> kernel.createIfb(name));
        }

        @Override
        public void deleteIfb(String name) {
            invoker.run("links.deleteIfb", Arrays.asList(name), () -> kernel.deleteIfb(name));
        }

        @Override
        public void setUp(String name, boolean up) {
            invoker.run("links.setUp", Arrays.asList(name, up), () -> kernel.setUp(name, up));
        }

        @Override
        public Optional<Ipv6AddrGenMode> setIpv6AddrGenMode(String name, Ipv6AddrGenMode mode) {
            return invoker.call("links.setIpv6AddrGenMode", Arrays.asList(name, mode),
                    () -> kernel.setIpv6AddrGenMode(name, Objects.requireNonNull(mode, "mode")));
        }
    }

    /** {@link TrafficControl} on the fake kernel. */
    static final class FakeTrafficControl implements TrafficControl {
        private final Invoker invoker;
        private final FakeKernel kernel;

        FakeTrafficControl(Invoker invoker, FakeKernel kernel) {
            this.invoker = invoker;
            this.kernel = kernel;
        }

        @Override
        public List<Qdisc> qdiscs(String dev) {
            return invoker.call("trafficControl.qdiscs", Arrays.asList(dev), () -> kernel.qdiscs(dev));
        }

        @Override
        public void addIngress(String dev) {
            invoker.run("trafficControl.addIngress", Arrays.asList(dev), () -> kernel.addIngress(dev));
        }

        @Override
        public void deleteIngress(String dev) {
            invoker.run("trafficControl.deleteIngress", Arrays.asList(dev), () -> kernel.deleteIngress(dev));
        }

        @Override
        public void addRedirect(String vif, String ifb, Protocols protocols) {
            Objects.requireNonNull(protocols, "protocols");
            invoker.run("trafficControl.addRedirect", Arrays.asList(vif, ifb, protocols),
                    () -> kernel.addRedirect(vif, ifb, protocols));
        }

        @Override
        public List<String> redirectTargets(String vif) {
            return invoker.call("trafficControl.redirectTargets", Arrays.asList(vif), () -> kernel.redirectTargets(vif));
        }

        @Override
        public void addPlug(String ifb, long limitBytes) {
            invoker.run("trafficControl.addPlug", Arrays.asList(ifb, limitBytes), () -> kernel.addPlug(ifb, limitBytes));
        }

        @Override
        public void deleteRoot(String ifb) {
            invoker.run("trafficControl.deleteRoot", Arrays.asList(ifb), () -> kernel.deleteRoot(ifb));
        }

        @Override
        public void plug(List<String> ifbs, PlugAction action) {
            List<String> devs = List.copyOf(ifbs);
            Objects.requireNonNull(action, "action");
            invoker.run("trafficControl.plug", Arrays.asList(devs, action.label()), () -> kernel.plug(devs, action));
        }
    }

    /** {@link KernelFeatures} of the fake kernel. */
    static final class FakeFeatures implements KernelFeatures {
        private final Invoker invoker;
        private final FakeKernel kernel;

        FakeFeatures(Invoker invoker, FakeKernel kernel) {
            this.invoker = invoker;
            this.kernel = kernel;
        }

        @Override
        public Set<KernelFeature> missing(Set<KernelFeature> wanted) {
            Set<KernelFeature> copy = Set.copyOf(wanted);
            return invoker.call("features.missing", Arrays.asList(copy), () -> kernel.missing(copy));
        }
    }

    /** A {@link Xenstore} decorator that logs, injects faults and simulates missing tools. */
    static final class InjectingXenstore implements Xenstore {
        private final Invoker invoker;
        private final Xenstore delegate;

        InjectingXenstore(Invoker invoker, Xenstore delegate) {
            this.invoker = invoker;
            this.delegate = delegate;
        }

        @Override
        public Optional<String> read(String path) {
            return Injecting.read(invoker, delegate, path);
        }

        @Override
        public void write(String path, String value) {
            Injecting.write(invoker, delegate, path, value);
        }

        @Override
        public void mkdir(String path) {
            Injecting.mkdir(invoker, delegate, path);
        }

        @Override
        public List<String> list(String path) {
            return Injecting.list(invoker, delegate, path);
        }

        @Override
        public boolean exists(String path) {
            return Injecting.exists(invoker, delegate, path);
        }

        @Override
        public void rm(String path) {
            Injecting.rm(invoker, delegate, path);
        }

        @Override
        public <T> T transaction(Function<XenstoreOps, T> body) {
            Objects.requireNonNull(body, "body");
            return invoker.call("xenstore.transaction", Arrays.asList(),
                    () -> delegate.transaction(ops -> body.apply(new Injecting(invoker, ops))));
        }

        @Override
        public boolean isTransactional() {
            return invoker.call("xenstore.isTransactional", Arrays.asList(), delegate::isTransactional);
        }
    }

    /** The operations inside a transaction, counted and faulted like the rest. */
    static final class Injecting implements XenstoreOps {
        private final Invoker invoker;
        private final XenstoreOps ops;

        Injecting(Invoker invoker, XenstoreOps ops) {
            this.invoker = invoker;
            this.ops = ops;
        }

        static Optional<String> read(Invoker invoker, XenstoreOps ops, String path) {
            return invoker.call("xenstore.read", Arrays.asList(path), () -> ops.read(path));
        }

        static void write(Invoker invoker, XenstoreOps ops, String path, String value) {
            invoker.run("xenstore.write", Arrays.asList(path, value), () -> ops.write(path, value));
        }

        static void mkdir(Invoker invoker, XenstoreOps ops, String path) {
            invoker.run("xenstore.mkdir", Arrays.asList(path), () -> ops.mkdir(path));
        }

        static List<String> list(Invoker invoker, XenstoreOps ops, String path) {
            return invoker.call("xenstore.list", Arrays.asList(path), () -> ops.list(path));
        }

        static boolean exists(Invoker invoker, XenstoreOps ops, String path) {
            return invoker.call("xenstore.exists", Arrays.asList(path), () -> ops.exists(path));
        }

        static void rm(Invoker invoker, XenstoreOps ops, String path) {
            invoker.run("xenstore.rm", Arrays.asList(path), () -> ops.rm(path));
        }

        @Override
        public Optional<String> read(String path) {
            return read(invoker, ops, path);
        }

        @Override
        public void write(String path, String value) {
            write(invoker, ops, path, value);
        }

        @Override
        public void mkdir(String path) {
            mkdir(invoker, ops, path);
        }

        @Override
        public List<String> list(String path) {
            return list(invoker, ops, path);
        }

        @Override
        public boolean exists(String path) {
            return exists(invoker, ops, path);
        }

        @Override
        public void rm(String path) {
            rm(invoker, ops, path);
        }
    }
}
