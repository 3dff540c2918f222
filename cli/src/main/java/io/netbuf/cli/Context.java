package io.netbuf.cli;

import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.KernelFeatures;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * What a command runs with: its output streams, the environment it was given, and how to reach the
 * host it acts on.
 *
 * @param out standard output (may discard everything when closed)
 * @param err standard error (likewise)
 * @param environment the process environment ({@code vifname}, {@code XENBUS_PATH}, {@code XENSTORED_PATH}...)
 * @param hosts opens the host to act on
 */
public record Context(PrintStream out, PrintStream err, Map<String, String> environment, Hosts hosts) {
    /**
     * Checks that nothing is null.
     *
     * @param out standard output
     * @param err standard error
     * @param environment the process environment
     * @param hosts opens the host to act on
     */
    public Context {
        Objects.requireNonNull(out, "out");
        Objects.requireNonNull(err, "err");
        environment = Map.copyOf(environment);
        Objects.requireNonNull(hosts, "hosts");
    }

    /** Opens the host a command acts on; the caller closes it when it is {@link AutoCloseable}. */
    @FunctionalInterface
    public interface Hosts {
        /**
         * @param commandTimeout the longest one command or kernel/XenStore request may take
         * @return the host, connections open
         */
        Host open(Duration commandTimeout);

        /**
         * @param environment where {@code XENSTORED_PATH} is read from
         * @return the machine itself: {@link SystemHost} configured by the system properties
         *     {@code netbuf.backend} and {@code netbuf.xenstore}
         */
        static Hosts system(Map<String, String> environment) {
            return system(environment, null);
        }

        /**
         * @param environment where {@code XENSTORED_PATH} is read from
         * @param features the kernel feature check, or null for the running kernel's (with its per-boot cache)
         * @return the machine itself, as {@link #system(Map)}, with that feature check
         */
        static Hosts system(Map<String, String> environment, KernelFeatures features) {
            return timeout -> {
                SystemHost.Builder builder = SystemHost.fromSystemProperties().environment(environment)
                        .commandTimeout(timeout);
                if (features != null) {
                    builder.kernelFeatures(features);
                }
                return builder.build();
            };
        }
    }

    /**
     * Closes a host from {@link Hosts#open} if it holds resources.
     *
     * @param host the host
     */
    public static void close(Host host) {
        if (host instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(Context.class).debug("closing {} failed: {}", host, e.toString());
            }
        }
    }
}
