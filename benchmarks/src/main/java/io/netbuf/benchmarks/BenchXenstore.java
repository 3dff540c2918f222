package io.netbuf.benchmarks;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.impl.xenstore.XenstoreTools;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** XenStore for the benchmarks: a testkit xenstored, reached through the native client or the tools. */
final class BenchXenstore {
    /** The xenbus path of the buffer under test (domain 1, device 0), as libxl writes it. */
    static final String XENBUS_PATH = "/libxl/1/remus/netbuf/0";

    private BenchXenstore() {
    }

    /**
     * @param server the running server
     * @param backend {@code native} (the wire client over the socket) or {@code tools} ({@code xenstore-*})
     * @return a backend pointed at the server
     */
    static Xenstore connect(XenstoredServer server, String backend) {
        return connect(server.socketPath(), server.environment(), backend);
    }

    /**
     * @param socket the daemon's unix socket
     * @param environment what points Xen's tools at it ({@code XENSTORED_PATH})
     * @param backend {@code native} (the wire client over the socket) or {@code tools} ({@code xenstore-*})
     * @return a backend pointed at the daemon
     */
    static Xenstore connect(java.nio.file.Path socket, Map<String, String> environment, String backend) {
        Duration timeout = Duration.ofSeconds(10);
        switch (backend) {
            case "native":
                return XenstoreClient.connect(socket, timeout);
            case "tools":
                Map<String, String> env = new HashMap<>(System.getenv());
                env.putAll(environment);
                return new XenstoreTools(new CommandRunner(timeout, env));
            default:
                throw new IllegalArgumentException("xenstore backend must be native or tools: " + backend);
        }
    }

    /**
     * Records domain 1 (the guest under test) and {@code others} other live domains (2, 3, ...), each
     * with one netbuf claim at {@code /libxl/<domid>/remus/netbuf/0/ifb}, as libxl leaves them for
     * running Remus guests. The claimed IFBs ({@code ifb<1000+domid>}) do not exist in the
     * benchmark's namespace: only the XenStore scan grows, not the IFB list.
     *
     * @param xenstore where to write (use the server's store directly: it is much faster)
     * @param others how many other domains
     */
    static void populate(io.netbuf.spi.XenstoreOps xenstore, int others) {
        xenstore.write("/local/domain/0/name", "Domain-0");
        xenstore.write("/local/domain/1/name", "guest-1");
        xenstore.mkdir("/libxl/1/remus/netbuf/0");
        for (int d = 2; d < 2 + others; d++) {
            xenstore.write("/local/domain/" + d + "/name", "guest-" + d);
            xenstore.write("/libxl/" + d + "/remus/netbuf/0/ifb", "ifb" + (1000 + d));
            xenstore.write("/libxl/" + d + "/remus/netbuf/0/hotplug-status", "connected");
        }
    }
}
