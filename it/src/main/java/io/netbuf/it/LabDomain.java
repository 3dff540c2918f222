package io.netbuf.it;

import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.tools.PlugTool;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A Xen domain as the kernel-lab tests need it, without Xen: a "dom0" network namespace holding
 * the guest's vif (a veth whose peer {@code eth0} sits in a "domU" namespace) and some IFBs, the
 * testkit xenstored with domain 1 alive, and UDP sockets on both sides so a test can send numbered
 * packets from the guest and see exactly which reach dom0, in what order. The guest sends nothing
 * of its own (no router solicitation, no DAD, static neighbours): what crosses the vif is what the
 * test sends.
 */
final class LabDomain implements AutoCloseable {
    static final String VIF = "vif1.0";
    static final String XENBUS = "/libxl/1/remus/netbuf/0";
    static final String DOM0_V4 = "10.79.0.1";
    static final String DOMU_V4 = "10.79.0.2";
    static final String DOM0_V6 = "fd79::1";
    static final String DOMU_V6 = "fd79::2";
    /** How long a packet that is not held takes to arrive, at most, under software emulation. */
    static final Duration ARRIVAL = Duration.ofSeconds(5);
    /** How long a test waits to be sure that a held packet does not arrive. */
    static final Duration HELD = Duration.ofMillis(1200);
    private static final Duration GRACE = Duration.ofMillis(300);
    private static final int PORT = 5001;

    final Netns dom0;
    final Netns domU;
    final XenstoredServer xenstored;
    final Path lockDir;
    private final NetnsUdp receiver;
    private final NetnsUdp sender;

    private LabDomain(Netns dom0, Netns domU, XenstoredServer xenstored, Path lockDir, NetnsUdp receiver,
            NetnsUdp sender) {
        this.dom0 = dom0;
        this.domU = domU;
        this.xenstored = xenstored;
        this.lockDir = lockDir;
        this.receiver = receiver;
        this.sender = sender;
    }

    /**
     * Builds the domain: namespaces, veth, IFBs {@code ifb0..ifb<n-1>} (down), addresses, static
     * neighbours in domU, xenstored with {@code /local/domain/{0,1}} and the xenbus directory.
     *
     * @param ifbs how many IFBs dom0 has
     * @return the domain, quiet
     */
    static LabDomain create(int ifbs) throws InterruptedException {
        Netns dom0 = Netns.create("nbl0");
        Netns domU = null;
        XenstoredServer xenstored = null;
        try {
            domU = Netns.create("nblu");
            domU.exec("sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0",
                    "net.ipv6.conf.default.accept_ra=0", "net.ipv6.conf.default.dad_transmits=0");
            dom0.ip("link", "add", VIF, "type", "veth", "peer", "name", "eth0", "netns", domU.name());
            for (int i = 0; i < ifbs; i++) {
                dom0.ip("link", "add", "ifb" + i, "type", "ifb");
            }
            dom0.ip("addr", "add", DOM0_V4 + "/24", "dev", VIF);
            dom0.ip("addr", "add", DOM0_V6 + "/64", "dev", VIF, "nodad");
            domU.ip("addr", "add", DOMU_V4 + "/24", "dev", "eth0");
            domU.ip("addr", "add", DOMU_V6 + "/64", "dev", "eth0", "nodad");
            dom0.ip("link", "set", VIF, "up");
            domU.ip("link", "set", "eth0", "up");
            String vifMac = dom0.exec("cat", "/sys/class/net/" + VIF + "/address").strip();
            domU.ip("neigh", "add", DOM0_V4, "lladdr", vifMac, "dev", "eth0", "nud", "permanent");
            domU.ip("neigh", "add", DOM0_V6, "lladdr", vifMac, "dev", "eth0", "nud", "permanent");
            KernelState.awaitOperUp(dom0, VIF);
            xenstored = XenstoredServer.start();
            FakeXenstore store = xenstored.store();
            store.write("/local/domain/0/name", "Domain-0");
            store.write("/local/domain/1/name", "guest1");
            store.mkdir(XENBUS);
            Path lockDir = Files.createTempDirectory("netbuf-lab-locks");
            NetnsUdp receiver = NetnsUdp.open(dom0, PORT);
            NetnsUdp sender = NetnsUdp.open(domU, 0);
            LabDomain domain = new LabDomain(dom0, domU, xenstored, lockDir, receiver, sender);
            domain.awaitQuiet();
            return domain;
        } catch (RuntimeException | Error | InterruptedException e) {
            if (xenstored != null) {
                xenstored.stop();
            }
            if (domU != null) {
                domU.close();
            }
            dom0.close();
            throw e;
        } catch (IOException e) {
            xenstored.stop();
            domU.close();
            dom0.close();
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param backend how the host drives links and qdiscs
     * @return the real host acting in dom0, with this domain's xenstored and lock directory
     */
    SystemHost host(SystemHost.Backend backend) {
        return host(backend, PlugTool.TC);
    }

    /**
     * @param backend how the host drives links and qdiscs
     * @param plugTool what drives the plug (with the tools backend)
     * @return the real host acting in dom0, with this domain's xenstored and lock directory
     */
    SystemHost host(SystemHost.Backend backend, PlugTool plugTool) {
        return SystemHost.builder().backend(backend).plugTool(plugTool).namespace(dom0.name()).lockDir(lockDir)
                .xenstoredPath(xenstored.socketPath()).build();
    }

    /**
     * The guest sends datagram {@code id} to dom0.
     *
     * @param id its number
     * @param ipv6 over IPv6 rather than IPv4
     * @param frameLength its Ethernet frame length (what the plug counts)
     */
    void send(int id, boolean ipv6, int frameLength) {
        sender.send(ipv6 ? DOM0_V6 : DOM0_V4, PORT, id, frameLength);
    }

    /**
     * @param count how many datagrams are expected
     * @return the ids that reached dom0 (waiting up to {@link #ARRIVAL} for {@code count}, then a
     *     little more for extra ones), in arrival order
     */
    List<Integer> arrived(int count) throws InterruptedException {
        return receiver.receive(count, ARRIVAL, GRACE);
    }

    /** @return the ids that reached dom0 within {@link #HELD} (expected: none) */
    List<Integer> arrivedWhileHeld() throws InterruptedException {
        return receiver.receive(0, Duration.ZERO, HELD);
    }

    /**
     * The guest asks for dom0's IPv4 address with one ARP request and waits 1 s for the answer.
     *
     * @return whether dom0 answered
     */
    boolean arping() {
        try {
            int rc = Requirements.run("ip", "netns", "exec", domU.name(), "arping", "-q", "-c", "1", "-I", "eth0",
                    DOM0_V4);
            if (rc != 0 && rc != 1) {
                throw new IllegalStateException("arping exited " + rc + " (is iputils-arping installed?)");
            }
            return rc == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("could not run arping", e);
        }
    }

    /** @return whether dom0 has learnt the guest's MAC address (an ARP request from it arrived) */
    boolean dom0HeardArp() {
        return !dom0.ip("neigh", "show", DOMU_V4, "dev", VIF).isBlank();
    }

    /** @return the xenstore subtree under {@code /libxl/1}: path to value */
    Map<String, String> xenbusRecords() {
        Map<String, String> out = new TreeMap<>();
        collect("/libxl/1", out);
        return out;
    }

    private void collect(String path, Map<String, String> out) {
        FakeXenstore store = xenstored.store();
        if (!store.exists(path)) {
            return;
        }
        store.read(path).filter(v -> !v.isEmpty()).ifPresent(v -> out.put(path, v));
        for (String child : store.list(path)) {
            collect(path + "/" + child, out);
        }
    }

    /** Waits until the guest has sent nothing for 1.5 s (its MLD reports come shortly after link up). */
    private void awaitQuiet() throws InterruptedException {
        String last = "";
        for (int i = 0; i < 10; i++) {
            String now = domU.exec("cat", "/sys/class/net/eth0/statistics/tx_packets").strip();
            if (now.equals(last)) {
                return;
            }
            last = now;
            Thread.sleep(1500);
        }
        throw new IllegalStateException("the guest keeps sending packets of its own");
    }

    @Override
    public void close() {
        sender.close();
        receiver.close();
        xenstored.stop();
        domU.close();
        dom0.close();
        try (Stream<Path> files = Files.walk(lockDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not remove " + lockDir + ": " + e);
        }
    }
}
