package io.netbuf.it;

import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Links;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.EnumSet;

/**
 * Hosts assembled from chosen ports ({@link BasicHost}) for reliability tests on the real kernel:
 * the links, traffic control and flock lock of a {@link SystemHost} in a namespace, with a chosen
 * XenStore and feature check, optionally the {@link PlugStandIn}, optionally every port call
 * announced to a {@link Hook} first (to inject a fault or a crash between two calls).
 */
final class ComposedHost {
    private ComposedHost() {
    }

    /** A feature check that trusts the kernel: missing features then show up as real refusals. */
    static final KernelFeatures TRUSTING = wanted -> EnumSet.noneOf(KernelFeature.class);

    /** Told about each port call (links, traffic control, xenstore) before and after it runs. */
    interface Hook {
        /**
         * @param operation {@code "<port>.<method>"}, e.g. {@code "trafficControl.addPlug"}
         * @param args its arguments (null for none)
         */
        void before(String operation, Object[] args);

        /**
         * @param operation as for {@link #before}
         * @param args its arguments
         */
        default void after(String operation, Object[] args) {
        }
    }

    /**
     * @param system the real host whose links, traffic control and lock are used
     * @param xenstore the XenStore to use
     * @param standInPlug whether to replace the plug with {@link PlugStandIn}
     * @param namespace the namespace {@code system} acts in
     * @return the host, trusting the kernel's features
     */
    static BasicHost of(SystemHost system, Xenstore xenstore, boolean standInPlug, String namespace) {
        TrafficControl tc = standInPlug ? new PlugStandIn(system.trafficControl(), namespace) : system.trafficControl();
        return new BasicHost(system.description() + (standInPlug ? " with a pfifo stand-in plug" : ""),
                system.links(), tc, xenstore, system.lock(), TRUSTING, system.processes());
    }

    /**
     * @param backend NATIVE or TOOLS
     * @param namespace the namespace to act in
     * @param lockDir the flock lock directory
     * @return the real host (close it when done)
     */
    static SystemHost system(SystemHost.Backend backend, String namespace, Path lockDir) {
        return SystemHost.builder().backend(backend).namespace(namespace).lockDir(lockDir).build();
    }

    /**
     * @param host a host
     * @param hook told about every call of links, traffic control and xenstore
     * @return the same host with its ports announcing their calls to {@code hook}
     */
    static BasicHost intercepted(BasicHost host, Hook hook) {
        return new BasicHost(host.description(), wrap(Links.class, host.links(), "links", hook),
                wrap(TrafficControl.class, host.trafficControl(), "trafficControl", hook),
                wrap(Xenstore.class, host.xenstore(), "xenstore", hook), host.lock(), host.features(), host.processes());
    }

    private static <T> T wrap(Class<T> port, T target, String name, Hook hook) {
        Object proxy = Proxy.newProxyInstance(port.getClassLoader(), new Class<?>[] {port}, (p, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return method.invoke(target, args);
            }
            String operation = name + "." + method.getName();
            hook.before(operation, args);
            try {
                Object result = method.invoke(target, args);
                hook.after(operation, args);
                return result;
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
        return port.cast(proxy);
    }
}
