package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Remus output-buffering chain built by hand with {@code tc} in the kernel lab, to prove the lab
 * end to end: a veth "vif" in a dom0 namespace whose peer sits in a domU namespace, the vif's ingress
 * redirected (all protocols) into an IFB whose root qdisc is a real plug. Packets are counted where
 * they arrive (dom0's ICMP echo counters) and where they wait (the plug's backlog).
 */
class PlugSmokeLabIT {
    private static final String VIF = "vif1.0";
    private static final String IFB = "ifb0";
    private static final String DOM0_V4 = "10.78.0.1";
    private static final String DOMU_V4 = "10.78.0.2";
    private static final String DOM0_V6 = "fd78::1";
    private static final String DOMU_V6 = "fd78::2";
    private static final int PING_ANSWERED = 0;
    private static final int PING_UNANSWERED = 1;
    private static final Duration ARRIVAL = Duration.ofSeconds(5);
    private static final Pattern BACKLOG = Pattern.compile("backlog \\S+ (\\d+)p");

    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    @Test
    void plugHoldsIpv4AndIpv6UntilTheirEpochIsReleased() throws InterruptedException {
        try (Netns dom0 = Netns.create("nbdom0"); Netns domU = Netns.create("nbdomu")) {
            connect(dom0, domU);
            assertEquals(PING_ANSWERED, ping(domU, 1, DOM0_V4), "ping before any buffering");
            awaitQuiet(domU);
            long echoes4 = echoes4(dom0);
            long echoes6 = echoes6(dom0);

            dom0.tc("qdisc", "add", "dev", VIF, "ingress");
            dom0.tc("filter", "add", "dev", VIF, "parent", "ffff:", "protocol", "all", "prio", "10", "u32",
                    "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", IFB);
            dom0.tc("qdisc", "add", "dev", IFB, "root", "plug", "limit", "10000000");

            // Epoch 1: a new plug buffers everything.
            assertEquals(PING_UNANSWERED, ping(domU, 3, DOM0_V4), "IPv4 ping while plugged");
            assertEquals(PING_UNANSWERED, ping(domU, 2, "-6", DOM0_V6), "IPv6 ping while plugged");
            assertEquals(0, echoes4(dom0) - echoes4, "IPv4 echoes that reached dom0 while plugged");
            assertEquals(0, echoes6(dom0) - echoes6, "IPv6 echoes that reached dom0 while plugged");
            assertEquals(5, backlog(dom0), "packets held by the plug");

            // Close epoch 1, send epoch 2.
            plug(dom0, "block");
            assertEquals(PING_UNANSWERED, ping(domU, 2, DOM0_V4), "IPv4 ping in epoch 2");
            assertEquals(7, backlog(dom0), "packets held after epoch 2");
            assertEquals(0, echoes4(dom0) - echoes4, "IPv4 echoes that reached dom0 before any release");

            // Release exactly epoch 1.
            plug(dom0, "release");
            assertEquals(3, await(() -> echoes4(dom0) - echoes4, 3), "IPv4 echoes of epoch 1 released");
            assertEquals(2, await(() -> echoes6(dom0) - echoes6, 2), "IPv6 echoes of epoch 1 released");
            assertEquals(2, backlog(dom0), "epoch 2 still held");

            // Release everything and stop buffering.
            plug(dom0, "release_indefinite");
            assertEquals(5, await(() -> echoes4(dom0) - echoes4, 5), "IPv4 echoes after release_indefinite");
            assertEquals(0, backlog(dom0), "backlog after release_indefinite");
            assertEquals(PING_ANSWERED, ping(domU, 2, DOM0_V4), "IPv4 ping while released");
            assertEquals(PING_ANSWERED, ping(domU, 1, "-6", DOM0_V6), "IPv6 ping while released");
            assertEquals(7, echoes4(dom0) - echoes4, "IPv4 echoes while released");

            // Buffering resumes at the next block.
            plug(dom0, "block");
            assertEquals(PING_UNANSWERED, ping(domU, 1, DOM0_V4), "IPv4 ping after block");
            assertEquals(1, backlog(dom0), "packets held after block");
            assertEquals(7, echoes4(dom0) - echoes4, "IPv4 echoes after block");
        }
    }

    /** Builds the veth pair, the IFB and addresses, with static neighbours so only echoes are counted. */
    private static void connect(Netns dom0, Netns domU) {
        // domU sends nothing of its own (no router solicitation, no DAD) once its MLD reports are out.
        domU.exec("sysctl", "-qw", "net.ipv6.conf.default.router_solicitations=0",
                "net.ipv6.conf.default.accept_ra=0", "net.ipv6.conf.default.dad_transmits=0");
        dom0.ip("link", "add", VIF, "type", "veth", "peer", "name", "eth0", "netns", domU.name());
        dom0.ip("link", "add", IFB, "type", "ifb");
        // dom0's own IPv6 chatter on the IFB would go through the plug and skew its backlog.
        dom0.exec("sysctl", "-qw", "net.ipv6.conf." + IFB + ".disable_ipv6=1");
        dom0.ip("addr", "add", DOM0_V4 + "/24", "dev", VIF);
        dom0.ip("addr", "add", DOM0_V6 + "/64", "dev", VIF, "nodad");
        domU.ip("addr", "add", DOMU_V4 + "/24", "dev", "eth0");
        domU.ip("addr", "add", DOMU_V6 + "/64", "dev", "eth0", "nodad");
        dom0.ip("link", "set", VIF, "up");
        dom0.ip("link", "set", IFB, "up");
        domU.ip("link", "set", "eth0", "up");
        String vifMac = mac(dom0, VIF);
        String ethMac = mac(domU, "eth0");
        domU.ip("neigh", "add", DOM0_V4, "lladdr", vifMac, "dev", "eth0", "nud", "permanent");
        domU.ip("neigh", "add", DOM0_V6, "lladdr", vifMac, "dev", "eth0", "nud", "permanent");
        dom0.ip("neigh", "add", DOMU_V4, "lladdr", ethMac, "dev", VIF, "nud", "permanent");
        dom0.ip("neigh", "add", DOMU_V6, "lladdr", ethMac, "dev", VIF, "nud", "permanent");
    }

    private static String mac(Netns ns, String link) {
        return ns.exec("cat", "/sys/class/net/" + link + "/address").strip();
    }

    /** Waits until domU's eth0 has sent nothing for 1.5 s (its MLD reports come shortly after link up). */
    private static void awaitQuiet(Netns domU) throws InterruptedException {
        String last = "";
        for (int i = 0; i < 10; i++) {
            String now = domU.exec("cat", "/sys/class/net/eth0/statistics/tx_packets").strip();
            if (now.equals(last)) {
                return;
            }
            last = now;
            Thread.sleep(1500);
        }
        throw new IllegalStateException("domU keeps sending packets of its own");
    }

    /** Sends COUNT echo requests from domU; returns ping's exit status (0 answered, 1 unanswered). */
    private static int ping(Netns domU, int count, String... target) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", domU.name(),
                "ping", "-q", "-c", String.valueOf(count), "-i", "0.2", "-W", "1"));
        argv.addAll(List.of(target));
        try {
            return Requirements.run(argv.toArray(String[]::new));
        } catch (IOException e) {
            throw new IllegalStateException("could not run ping", e);
        }
    }

    private static void plug(Netns dom0, String action) {
        dom0.tc("qdisc", "change", "dev", IFB, "root", "plug", action);
    }

    private static long backlog(Netns dom0) {
        String stats = dom0.tc("-s", "qdisc", "show", "dev", IFB);
        Matcher m = BACKLOG.matcher(stats);
        if (!m.find()) {
            throw new IllegalStateException("no backlog in: " + stats);
        }
        return Long.parseLong(m.group(1));
    }

    /** ICMP echo requests dom0's IPv4 stack received (the Icmp InEchos counter of /proc/net/snmp). */
    private static long echoes4(Netns dom0) {
        List<String> icmp = dom0.exec("cat", "/proc/net/snmp").lines().filter(l -> l.startsWith("Icmp: ")).toList();
        List<String> names = List.of(icmp.get(0).split("\\s+"));
        return Long.parseLong(icmp.get(1).split("\\s+")[names.indexOf("InEchos")]);
    }

    /** ICMPv6 echo requests dom0's IPv6 stack received (Icmp6InEchos of /proc/net/snmp6). */
    private static long echoes6(Netns dom0) {
        return dom0.exec("cat", "/proc/net/snmp6").lines()
                .filter(l -> l.startsWith("Icmp6InEchos"))
                .mapToLong(l -> Long.parseLong(l.split("\\s+")[1]))
                .findFirst().orElseThrow();
    }

    /** Polls a counter until it reaches the expected value or {@link #ARRIVAL} passes; returns the last value. */
    private static long await(LongSupplier counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + ARRIVAL.toNanos();
        long value = counter.getAsLong();
        while (value != expected && System.nanoTime() < deadline) {
            Thread.sleep(100);
            value = counter.getAsLong();
        }
        return value;
    }
}
