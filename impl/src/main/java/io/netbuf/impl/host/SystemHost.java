package io.netbuf.impl.host;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBufferException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.Rtnetlink;
import io.netbuf.impl.tools.PlugTool;
import io.netbuf.impl.tools.ToolsLinks;
import io.netbuf.impl.tools.ToolsTrafficControl;
import io.netbuf.impl.xenstore.XenstoreBackends;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Processes;
import io.netbuf.impl.proc.ProcProcesses;
import io.netbuf.spi.Links;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machine netbuf runs on: links and traffic control through rtnetlink (or {@code ip}/{@code tc}),
 * XenStore through its socket (or the {@code xenstore-*} tools), Xen's flock host lock, and the
 * kernel feature check. Closeable: closing releases the netlink socket and the XenStore connection.
 * With {@link Builder#plugTool(PlugTool) plugTool(PlugTool.LIBNL)} the plug qdisc is driven by libnl's
 * {@code nl-qdisc-add} (package {@code libnl-utils}) and everything else by {@code ip}/{@code tc}.
 *
 * <pre>{@code
 * try (SystemHost host = SystemHost.builder().backend(SystemHost.Backend.TOOLS).build()) {
 *     NetworkBuffer.forVif("vif5.0").on(host).attach();
 * }
 * }</pre>
 */
public final class SystemHost implements Host, AutoCloseable {
    private final Processes processes = new ProcProcesses();
    private static final Logger LOG = LoggerFactory.getLogger(SystemHost.class);
    private static final String XENSTORED_PATH = "XENSTORED_PATH";

    /** How links and traffic control are driven. */
    public enum Backend {
        /** rtnetlink where a socket opens, the tools otherwise. */
        AUTO,
        /** rtnetlink only; failing to open the socket is an error. */
        NATIVE,
        /** {@code ip} and {@code tc} only. */
        TOOLS
    }

    private final String description;
    private final Links links;
    private final TrafficControl trafficControl;
    private final Xenstore xenstore;
    private final HostLock lock;
    private final KernelFeatures features;
    private final Rtnetlink rtnetlink;

    private SystemHost(Builder b) {
        CommandRunner runner = new CommandRunner(b.commandTimeout, null);
        if (b.plugTool == PlugTool.LIBNL && b.backend == Backend.NATIVE) {
            throw InvalidConfigurationException.of("plug tool", b.plugTool,
                    "libnl's nl-qdisc-add is a tool: use the TOOLS or AUTO backend, not NATIVE");
        }
        Rtnetlink rtnl = null;
        if (b.backend != Backend.TOOLS && b.plugTool == PlugTool.TC) {
            try {
                rtnl = Rtnetlink.open(b.namespace, b.commandTimeout);
            } catch (NetworkBufferException | IllegalStateException | UnsatisfiedLinkError e) {
                if (b.backend == Backend.NATIVE) {
                    throw e;
                }
                LOG.info("rtnetlink unavailable ({}); using ip and tc", e.getMessage());
            }
        }
        this.rtnetlink = rtnl;
        Xenstore store = null;
        try {
            store = openXenstore(b);
            if (rtnl != null) {
                NetlinkLinks netlinkLinks = new NetlinkLinks(rtnl);
                this.links = netlinkLinks;
                this.trafficControl = new NetlinkTrafficControl(rtnl, netlinkLinks);
            } else {
                this.links = new ToolsLinks(runner, b.namespace);
                this.trafficControl = new ToolsTrafficControl(runner, b.namespace, b.plugTool);
            }
            this.lock = new FlockHostLock(b.lockDir);
            this.features = b.features != null ? b.features : new HostKernelFeatures();
        } catch (RuntimeException | Error e) {
            // nobody else holds what was opened so far: close it, or every failed build leaks descriptors
            if (store != null) {
                XenstoreBackends.closeQuietly(store);
            }
            if (rtnl != null) {
                rtnl.close();
            }
            throw e;
        }
        this.xenstore = store;
        this.description = (rtnl != null ? "native rtnetlink" : "ip/tc tools")
                + (b.plugTool == PlugTool.LIBNL ? " (plug through nl-qdisc-add)" : "")
                + (b.namespace == null ? "" : " in netns " + b.namespace)
                + ", xenstore " + (xenstore instanceof AbsentXenstore ? "absent" : xenstore.getClass().getSimpleName());
    }

    /** Opens the XenStore backend the builder asks for (the last resource the constructor opens). */
    private static Xenstore openXenstore(Builder b) {
        Map<String, String> env = b.environment;
        if (b.xenstoredPath != null) {
            env = new HashMap<>(env);
            env.put(XENSTORED_PATH, b.xenstoredPath.toString());
        }
        if (b.xenstore == XenstoreBackends.Mode.AUTO && !XenstoreBackends.endpointExists(env)) {
            return new AbsentXenstore();
        }
        return XenstoreBackends.open(b.xenstore, env, b.commandTimeout);
    }

    /** @return a builder with the defaults: AUTO backends, Xen's lock directory */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return a builder configured from system properties {@code netbuf.backend} and
     *     {@code netbuf.xenstore} ({@code auto}, {@code native} or {@code tools}) and
     *     {@code netbuf.plugTool} ({@code tc} or {@code libnl})
     * @throws InvalidConfigurationException if a property has another value
     */
    public static Builder fromSystemProperties() {
        return builder()
                .backend(parse(Backend.class, "netbuf.backend", Backend.AUTO))
                .xenstore(parse(XenstoreBackends.Mode.class, "netbuf.xenstore", XenstoreBackends.Mode.AUTO))
                .plugTool(parse(PlugTool.class, "netbuf.plugTool", PlugTool.TC));
    }

    @Override
    public String description() {
        return description;
    }

    /** @return whether links and traffic control go through rtnetlink */
    public boolean isNative() {
        return rtnetlink != null;
    }

    @Override
    public Links links() {
        return links;
    }

    @Override
    public TrafficControl trafficControl() {
        return trafficControl;
    }

    @Override
    public Xenstore xenstore() {
        return xenstore;
    }

    @Override
    public HostLock lock() {
        return lock;
    }

    @Override
    public KernelFeatures features() {
        return features;
    }

    /** @return the processes of this machine, read from {@code /proc} */
    @Override
    public Processes processes() {
        return processes;
    }

    /** Closes the netlink socket and the XenStore connection. */
    @Override
    public void close() {
        if (rtnetlink != null) {
            rtnetlink.close();
        }
        XenstoreBackends.closeQuietly(xenstore);
    }

    @Override
    public String toString() {
        return "SystemHost[" + description + "]";
    }

    private static <E extends Enum<E>> E parse(Class<E> type, String property, E fallback) {
        String value = System.getProperty(property);
        if (value == null) {
            return fallback;
        }
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw InvalidConfigurationException.of(property, value, "must be one of " + Arrays.stream(
                    type.getEnumConstants()).map(c -> c.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    /** Fluent configuration of a {@link SystemHost}. */
    public static final class Builder {
        private Backend backend = Backend.AUTO;
        private XenstoreBackends.Mode xenstore = XenstoreBackends.Mode.AUTO;
        private String namespace;
        private Path lockDir = FlockHostLock.DEFAULT_DIR;
        private Duration commandTimeout = CommandRunner.DEFAULT_TIMEOUT;
        private Map<String, String> environment = System.getenv();
        private Path xenstoredPath;
        private PlugTool plugTool = PlugTool.TC;
        private KernelFeatures features;

        private Builder() {
        }

        /**
         * @param check the kernel feature check to use (default: {@link HostKernelFeatures} of the
         *     running kernel, which remembers what it found present for the rest of the boot)
         * @return this
         */
        public Builder kernelFeatures(KernelFeatures check) {
            this.features = require("kernel features", check);
            return this;
        }

        /**
         * @param tool what drives the plug qdisc (default {@link PlugTool#TC}). {@link PlugTool#LIBNL}
         *     ({@code nl-qdisc-add}, package {@code libnl-utils}) makes an AUTO backend use the tools and
         *     is refused with NATIVE at {@link #build()}; Debian's {@code nl-qdisc-add} only finds its
         *     plug module when {@code <libdir>/libnl} leads to {@code <libdir>/libnl-3}, which netbuf
         *     reports but never changes
         * @return this
         */
        public Builder plugTool(PlugTool tool) {
            this.plugTool = require("plug tool", tool);
            return this;
        }

        /**
         * @param environment where {@code XENSTORED_PATH} is read from, and the xenstore tools'
         *     environment (default: this process's)
         * @return this
         */
        public Builder environment(Map<String, String> environment) {
            this.environment = Map.copyOf(require("environment", environment));
            return this;
        }

        /**
         * @param backend how links and traffic control are driven (default AUTO)
         * @return this
         */
        public Builder backend(Backend backend) {
            this.backend = require("backend", backend);
            return this;
        }

        /**
         * @param mode how XenStore is reached (default AUTO: the socket or device if present; on a
         *     host without xenstored an empty store that refuses writes)
         * @return this
         */
        public Builder xenstore(XenstoreBackends.Mode mode) {
            this.xenstore = require("xenstore", mode);
            return this;
        }

        /**
         * @param name a network namespace ({@code ip netns} name) to act in, or null for this process's
         * @return this
         */
        public Builder namespace(String name) {
            if (name != null && !name.matches("[A-Za-z0-9_.-]{1,64}")) {
                throw InvalidConfigurationException.of("namespace", name, "must be a plain ip-netns name");
            }
            this.namespace = name;
            return this;
        }

        /**
         * @param dir where lock files live (default {@code /var/run/xen-hotplug}, shared with Xen's scripts)
         * @return this
         */
        public Builder lockDir(Path dir) {
            this.lockDir = require("lock directory", dir);
            return this;
        }

        /**
         * @param timeout the longest one command or kernel/xenstore request may take (default 10 s)
         * @return this
         */
        public Builder commandTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw InvalidConfigurationException.of("command timeout", timeout, "must be positive");
            }
            this.commandTimeout = timeout;
            return this;
        }

        /**
         * @param socket the xenstored socket to use instead of the one {@code XENSTORED_PATH} names
         *     (for the native client and, through their environment, the {@code xenstore-*} tools)
         * @return this
         */
        public Builder xenstoredPath(Path socket) {
            this.xenstoredPath = require("xenstored path", socket);
            return this;
        }

        /** @return the host, with its connections open */
        public SystemHost build() {
            return new SystemHost(this);
        }

        private static <T> T require(String setting, T value) {
            if (value == null) {
                throw InvalidConfigurationException.of(setting, null, "must not be null");
            }
            return value;
        }
    }
}
