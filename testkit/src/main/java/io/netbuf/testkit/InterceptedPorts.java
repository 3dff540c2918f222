package io.netbuf.testkit;

import io.netbuf.Protocols;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.IngressFilter;
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
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The port facades of a {@link FakeHost}: each call goes through the {@link CallInterceptor}, then
 * to the fake kernel or xenstore.
 */
final class InterceptedPorts {
    private InterceptedPorts() {
    }

    /** {@link Links} on the fake kernel. */
    static final class FakeLinks implements Links {
        private final CallInterceptor interceptor;
        private final FakeKernel kernel;

        FakeLinks(CallInterceptor interceptor, FakeKernel kernel) {
            this.interceptor = interceptor;
            this.kernel = kernel;
        }

        @Override
        public Optional<Link> find(String name) {
            return interceptor.call(PortOperation.LINKS_FIND, Arrays.asList(name),
                    () -> kernel.find(Objects.requireNonNull(name, "name")));
        }

        @Override
        public List<Link> all() {
            return interceptor.call(PortOperation.LINKS_ALL, Arrays.asList(), kernel::all);
        }

        @Override
        public List<Link> ifbs() {
            return interceptor.call(PortOperation.LINKS_IFBS, Arrays.asList(), kernel::ifbs);
        }

        @Override
        public void createIfb(String name) {
            interceptor.run(PortOperation.LINKS_CREATE_IFB, Arrays.asList(name), () -> kernel.createIfb(name));
        }

        @Override
        public void deleteIfb(String name) {
            interceptor.run(PortOperation.LINKS_DELETE_IFB, Arrays.asList(name), () -> kernel.deleteIfb(name));
        }

        @Override
        public void setUp(String name, boolean up) {
            interceptor.run(PortOperation.LINKS_SET_UP, Arrays.asList(name, up), () -> kernel.setUp(name, up));
        }

        @Override
        public Optional<Ipv6AddrGenMode> setIpv6AddrGenMode(String name, Ipv6AddrGenMode mode) {
            return interceptor.call(PortOperation.LINKS_SET_IPV6_ADDR_GEN_MODE, Arrays.asList(name, mode),
                    () -> kernel.setIpv6AddrGenMode(name, Objects.requireNonNull(mode, "mode")));
        }
    }

    /** {@link TrafficControl} on the fake kernel. */
    static final class FakeTrafficControl implements TrafficControl {
        private final CallInterceptor interceptor;
        private final FakeKernel kernel;

        FakeTrafficControl(CallInterceptor interceptor, FakeKernel kernel) {
            this.interceptor = interceptor;
            this.kernel = kernel;
        }

        @Override
        public List<Qdisc> qdiscs(String dev) {
            return interceptor.call(PortOperation.TRAFFIC_CONTROL_QDISCS, Arrays.asList(dev), () -> kernel.qdiscs(dev));
        }

        @Override
        public Map<String, List<Qdisc>> allQdiscs() {
            return interceptor.call(PortOperation.TRAFFIC_CONTROL_ALL_QDISCS, List.of(), kernel::allQdiscs);
        }

        @Override
        public void addIngress(String dev) {
            interceptor.run(PortOperation.TRAFFIC_CONTROL_ADD_INGRESS, Arrays.asList(dev),
                    () -> kernel.addIngress(dev));
        }

        @Override
        public void deleteIngress(String dev) {
            interceptor.run(PortOperation.TRAFFIC_CONTROL_DELETE_INGRESS, Arrays.asList(dev),
                    () -> kernel.deleteIngress(dev));
        }

        @Override
        public void addRedirect(String vif, String ifb, Protocols protocols) {
            Objects.requireNonNull(protocols, "protocols");
            interceptor.run(PortOperation.TRAFFIC_CONTROL_ADD_REDIRECT, Arrays.asList(vif, ifb, protocols),
                    () -> kernel.addRedirect(vif, ifb, protocols));
        }

        @Override
        public List<String> redirectTargets(String vif) {
            return interceptor.call(PortOperation.TRAFFIC_CONTROL_REDIRECT_TARGETS, Arrays.asList(vif),
                    () -> kernel.redirectTargets(vif));
        }

        @Override
        public List<IngressFilter> ingressFilters(String dev) {
            return interceptor.call(PortOperation.TRAFFIC_CONTROL_INGRESS_FILTERS, Arrays.asList(dev),
                    () -> kernel.ingressFilters(dev));
        }

        @Override
        public void deleteIngressFilter(String dev, IngressFilter filter) {
            Objects.requireNonNull(filter, "filter");
            interceptor.run(PortOperation.TRAFFIC_CONTROL_DELETE_INGRESS_FILTER, Arrays.asList(dev, filter),
                    () -> kernel.deleteIngressFilter(dev, filter));
        }

        @Override
        public void addPlug(String ifb, long limitBytes) {
            interceptor.run(PortOperation.TRAFFIC_CONTROL_ADD_PLUG, Arrays.asList(ifb, limitBytes),
                    () -> kernel.addPlug(ifb, limitBytes));
        }

        @Override
        public void deleteRoot(String ifb) {
            interceptor.run(PortOperation.TRAFFIC_CONTROL_DELETE_ROOT, Arrays.asList(ifb),
                    () -> kernel.deleteRoot(ifb));
        }

        @Override
        public void plug(List<String> ifbs, PlugAction action) {
            List<String> devs = List.copyOf(ifbs);
            Objects.requireNonNull(action, "action");
            interceptor.run(PortOperation.TRAFFIC_CONTROL_PLUG, Arrays.asList(devs, action.label()),
                    () -> kernel.plug(devs, action));
        }
    }

    /** {@link KernelFeatures} of the fake kernel. */
    static final class FakeFeatures implements KernelFeatures {
        private final CallInterceptor interceptor;
        private final FakeKernel kernel;

        FakeFeatures(CallInterceptor interceptor, FakeKernel kernel) {
            this.interceptor = interceptor;
            this.kernel = kernel;
        }

        @Override
        public Set<KernelFeature> missing(Set<KernelFeature> wanted) {
            Set<KernelFeature> copy = Set.copyOf(wanted);
            return interceptor.call(PortOperation.FEATURES_MISSING, Arrays.asList(copy), () -> kernel.missing(copy));
        }
    }

    /** A {@link Xenstore} whose calls go through the {@link CallInterceptor}. */
    static final class InterceptedXenstore implements Xenstore {
        private final CallInterceptor interceptor;
        private final Xenstore delegate;

        InterceptedXenstore(CallInterceptor interceptor, Xenstore delegate) {
            this.interceptor = interceptor;
            this.delegate = delegate;
        }

        @Override
        public Optional<String> read(String path) {
            return InterceptedXenstoreOps.read(interceptor, delegate, path);
        }

        @Override
        public void write(String path, String value) {
            InterceptedXenstoreOps.write(interceptor, delegate, path, value);
        }

        @Override
        public void mkdir(String path) {
            InterceptedXenstoreOps.mkdir(interceptor, delegate, path);
        }

        @Override
        public List<String> list(String path) {
            return InterceptedXenstoreOps.list(interceptor, delegate, path);
        }

        @Override
        public boolean exists(String path) {
            return InterceptedXenstoreOps.exists(interceptor, delegate, path);
        }

        @Override
        public void rm(String path) {
            InterceptedXenstoreOps.rm(interceptor, delegate, path);
        }

        @Override
        public <T> T transaction(Function<XenstoreOps, T> body) {
            Objects.requireNonNull(body, "body");
            return interceptor.call(PortOperation.XENSTORE_TRANSACTION, Arrays.asList(),
                    () -> delegate.transaction(ops -> body.apply(new InterceptedXenstoreOps(interceptor, ops))));
        }

        @Override
        public boolean isTransactional() {
            return interceptor.call(PortOperation.XENSTORE_IS_TRANSACTIONAL, Arrays.asList(),
                    delegate::isTransactional);
        }
    }

    /** The operations inside a transaction, counted and faulted like the rest. */
    static final class InterceptedXenstoreOps implements XenstoreOps {
        private final CallInterceptor interceptor;
        private final XenstoreOps ops;

        InterceptedXenstoreOps(CallInterceptor interceptor, XenstoreOps ops) {
            this.interceptor = interceptor;
            this.ops = ops;
        }

        static Optional<String> read(CallInterceptor interceptor, XenstoreOps ops, String path) {
            return interceptor.call(PortOperation.XENSTORE_READ, Arrays.asList(path), () -> ops.read(path));
        }

        static void write(CallInterceptor interceptor, XenstoreOps ops, String path, String value) {
            interceptor.run(PortOperation.XENSTORE_WRITE, Arrays.asList(path, value), () -> ops.write(path, value));
        }

        static void mkdir(CallInterceptor interceptor, XenstoreOps ops, String path) {
            interceptor.run(PortOperation.XENSTORE_MKDIR, Arrays.asList(path), () -> ops.mkdir(path));
        }

        static List<String> list(CallInterceptor interceptor, XenstoreOps ops, String path) {
            return interceptor.call(PortOperation.XENSTORE_LIST, Arrays.asList(path), () -> ops.list(path));
        }

        static boolean exists(CallInterceptor interceptor, XenstoreOps ops, String path) {
            return interceptor.call(PortOperation.XENSTORE_EXISTS, Arrays.asList(path), () -> ops.exists(path));
        }

        static void rm(CallInterceptor interceptor, XenstoreOps ops, String path) {
            interceptor.run(PortOperation.XENSTORE_RM, Arrays.asList(path), () -> ops.rm(path));
        }

        @Override
        public Optional<String> read(String path) {
            return read(interceptor, ops, path);
        }

        @Override
        public void write(String path, String value) {
            write(interceptor, ops, path, value);
        }

        @Override
        public void mkdir(String path) {
            mkdir(interceptor, ops, path);
        }

        @Override
        public List<String> list(String path) {
            return list(interceptor, ops, path);
        }

        @Override
        public boolean exists(String path) {
            return exists(interceptor, ops, path);
        }

        @Override
        public void rm(String path) {
            rm(interceptor, ops, path);
        }
    }
}
