package io.netbuf.cli;

import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.exec.CommandLine;
import org.apache.commons.exec.DefaultExecuteResultHandler;
import org.apache.commons.exec.DefaultExecutor;
import org.apache.commons.exec.ExecuteWatchdog;
import org.apache.commons.exec.LogOutputStream;
import org.apache.commons.exec.PumpStreamHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The demo on the real kernel: two throwaway network namespaces joined by a veth pair, the host side
 * named like a Xen vif ({@value DemoGuest#VIF}) and the guest side {@code eth0}; a testkit xenstored
 * (served in this process) stands in for Xen's. The guest pings the host side every 10 ms; its echo
 * requests enter the vif's ingress, are held by the real plug qdisc, and the replies show how long.
 * Needs root, iproute2, ping and a kernel with sch_plug.
 */
final class NamespaceGuest implements DemoGuest {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceGuest.class);
    private static final Pattern RTT = Pattern.compile("time=([0-9.]+) ms");
    private static final String HOST_IP = "10.203.0.1";
    private static final String GUEST_IP = "10.203.0.2";
    private static final String PACKAGE = "iproute2";

    private final CommandRunner runner = new CommandRunner(Duration.ofSeconds(10), null);
    private final String hostNs;
    private final String guestNs;
    private final List<String> createdNamespaces = new ArrayList<>();
    private XenstoredServer xenstored;
    private Path lockDir;
    private SystemHost host;
    private ExecuteWatchdog ping;
    private DefaultExecuteResultHandler pingResult;
    private volatile long sent;

    /**
     * Creates the namespaces, the veth pair and the xenstored; on failure removes what was made.
     *
     * @throws NetworkBufferException when a step fails
     */
    NamespaceGuest() {
        long pid = ProcessHandle.current().pid();
        this.hostNs = "nbdemo-h-" + pid;
        this.guestNs = "nbdemo-g-" + pid;
        try {
            for (String ns : List.of(hostNs, guestNs)) {
                ip("create namespace", "netns", "add", ns);
                createdNamespaces.add(ns);
                ip("bring up loopback", "-n", ns, "link", "set", "lo", "up");
            }
            ip("create the guest's veth", "-n", hostNs, "link", "add", VIF, "type", "veth", "peer", "name", "eth0",
                    "netns", guestNs);
            ip("address the vif", "-n", hostNs, "addr", "add", HOST_IP + "/24", "dev", VIF);
            ip("address the guest", "-n", guestNs, "addr", "add", GUEST_IP + "/24", "dev", "eth0");
            ip("bring up the vif", "-n", hostNs, "link", "set", VIF, "up");
            ip("bring up the guest", "-n", guestNs, "link", "set", "eth0", "up");
            FakeXenstore store = new FakeXenstore();
            store.write("/local/domain/" + DOMID + "/name", "demo-guest");
            xenstored = XenstoredServer.start(store);
            lockDir = Files.createTempDirectory("netbuf-demo-lock");
            host = SystemHost.builder().namespace(hostNs).environment(xenstored.environment()).lockDir(lockDir)
                    .build();
        } catch (IOException e) {
            close();
            throw new IllegalStateException("cannot create a lock directory for the demo", e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public String description() {
        return "real kernel: namespaces " + hostNs + " (" + VIF + ") and " + guestNs + " (guest eth0), "
                + host.description();
    }

    @Override
    public NetworkBuffer attach() {
        return NetworkBuffer.forVif(VIF).xenbusPath(XENBUS_PATH).on(host).attach();
    }

    @Override
    public String xenstoreRead(String path) {
        return xenstored.store().read(path).orElse(null);
    }

    @Override
    public void startTraffic(LatencyRecorder latency) {
        CommandLine line = new CommandLine("ip");
        for (String arg : List.of("netns", "exec", guestNs, "ping", "-n", "-i", "0.01", HOST_IP)) {
            line.addArgument(arg, false);
        }
        ping = ExecuteWatchdog.builder().setTimeout(Duration.ofHours(1)).get();
        pingResult = new DefaultExecuteResultHandler();
        DefaultExecutor executor = DefaultExecutor.builder().get();
        executor.setWatchdog(ping);
        executor.setExitValues(null);
        executor.setStreamHandler(new PumpStreamHandler(new LogOutputStream() {
            @Override
            protected void processLine(String text, int level) {
                Matcher m = RTT.matcher(text);
                if (m.find()) {
                    latency.record(Double.parseDouble(m.group(1)));
                }
            }
        }, new LogOutputStream() {
            @Override
            protected void processLine(String text, int level) {
                LOG.debug("ping: {}", text);
            }
        }));
        try {
            executor.execute(line, pingResult);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start ping in " + guestNs, e);
        }
    }

    @Override
    public void afterCommit() {
        try {
            String stats = runner.check(PACKAGE, "read the guest's counters",
                    List.of("ip", "-n", guestNs, "-s", "-j", "link", "show", "dev", "eth0"));
            Matcher m = Pattern.compile("\"tx\":\\{\"bytes\":\\d+,\"packets\":(\\d+)").matcher(stats);
            if (m.find()) {
                sent = Long.parseLong(m.group(1));
            }
        } catch (NetworkBufferException e) {
            LOG.debug("could not read the guest's counters: {}", e.getMessage());
        }
    }

    @Override
    public long sent() {
        return sent;
    }

    @Override
    public void close() {
        if (ping != null) {
            ping.destroyProcess();
            try {
                pingResult.waitFor(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ping = null;
        }
        if (host != null) {
            host.close();
            host = null;
        }
        if (xenstored != null) {
            xenstored.close();
        }
        for (String ns : createdNamespaces) {
            try {
                CommandRunner.Result r = runner.run(PACKAGE, "delete namespace", List.of("ip", "netns", "del", ns));
                if (!r.ok()) {
                    LOG.warn("could not delete namespace {}: {}", ns, r.stderr().strip());
                }
            } catch (NetworkBufferException e) {
                LOG.warn("could not delete namespace {}: {}", ns, e.getMessage());
            }
        }
        createdNamespaces.clear();
        if (lockDir != null) {
            try (var files = Files.list(lockDir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    Files.deleteIfExists(p);
                }
                Files.deleteIfExists(lockDir);
            } catch (IOException e) {
                LOG.warn("could not remove {}: {}", lockDir, e.getMessage());
            }
            lockDir = null;
        }
    }

    private void ip(String operation, String... args) {
        List<String> argv = new ArrayList<>(List.of("ip"));
        argv.addAll(List.of(args));
        runner.check(PACKAGE, operation + " for the demo", argv);
    }
}
