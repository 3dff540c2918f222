package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.tools.ToolsLinks;
import io.netbuf.impl.tools.ToolsTrafficControl;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The tools backend against the real kernel in a throwaway namespace: what it installs is read
 * back with {@code tc -j}, what it removes leaves the namespace exactly as before, and its
 * failures are typed.
 */
class ToolsKernelStateIT {
    private Netns ns;
    private ToolsLinks links;
    private ToolsTrafficControl tc;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        ns = Netns.create("nbst");
        ns.ip("link", "add", "vif1", "type", "veth", "peer", "name", "vpeer");
        ns.ip("link", "add", "ifb0", "type", "ifb");
        ns.ip("link", "set", "vif1", "up");
        ns.ip("link", "set", "vpeer", "up");
        KernelState.awaitOperUp(ns, "vif1");
        KernelState.awaitOperUp(ns, "vpeer");
        CommandRunner runner = new CommandRunner();
        links = new ToolsLinks(runner, ns.name());
        tc = new ToolsTrafficControl(runner, ns.name());
    }

    @AfterEach
    void tearDown() {
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void ifbsAreFoundByKindNotByName() {
        ns.ip("link", "add", "buffer7", "type", "ifb");
        ns.ip("link", "add", "ifb9", "type", "veth", "peer", "name", "ifb9peer");
        List<Link> ifbs = links.ifbs();
        assertEquals(List.of("buffer7", "ifb0"), ifbs.stream().map(Link::name).toList());
        assertTrue(ifbs.stream().allMatch(Link::isIfb));
        Link vif = links.find("vif1").orElseThrow();
        assertEquals("veth", vif.kind());
        assertTrue(vif.up());
        assertFalse(links.find("ifb0").orElseThrow().up());
        assertEquals(Optional.empty(), links.find("nosuchdev"));
    }

    @Test
    void createUpDownAndDeleteOfAnIfbRestoreTheNamespace() {
        String before = KernelState.dump(ns);
        links.createIfb("ifb5");
        Link created = links.find("ifb5").orElseThrow();
        assertTrue(created.isIfb());
        assertFalse(created.up());
        links.setUp("ifb5", true);
        assertTrue(links.find("ifb5").orElseThrow().up());
        links.setUp("ifb5", false);
        assertFalse(links.find("ifb5").orElseThrow().up());
        OperationFailedException dup = assertThrows(OperationFailedException.class, () -> links.createIfb("ifb5"));
        assertEquals(List.of("ip", "-n", ns.name(), "link", "add", "ifb5", "type", "ifb"), dup.command());
        assertTrue(dup.detail().contains("exists"), dup.detail());
        links.deleteIfb("ifb5");
        KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
        assertThrows(OperationFailedException.class, () -> links.deleteIfb("vif1"));
        assertTrue(links.find("vif1").isPresent(), "a non-IFB must never be deleted");
    }

    @Test
    void ingressAndRedirectReadBackFromTheKernelAndTeardownRestoresTheNamespaceExactly() {
        String before = KernelState.dump(ns);
        tc.addIngress("vif1");
        tc.addRedirect("vif1", "ifb0", Protocols.ALL);

        Qdisc ingress = tc.qdiscs("vif1").stream().filter(q -> q.kind().equals("ingress")).findFirst().orElseThrow();
        assertEquals(0xFFFF0000, ingress.handle());
        assertEquals(TrafficControl.INGRESS, ingress.parent());
        assertTrue(ingress.isExplicit());
        assertEquals(List.of("ifb0"), tc.redirectTargets("vif1"));
        String filters = ns.tc("-j", "filter", "show", "dev", "vif1", "ingress");
        for (String expected : List.of("\"protocol\":\"all\"", "\"pref\":10", "\"kind\":\"u32\"",
                "\"match\":{\"value\":\"0\",\"mask\":\"0\"", "\"kind\":\"mirred\"", "\"mirred_action\":\"redirect\"",
                "\"direction\":\"egress\"", "\"to_dev\":\"ifb0\"")) {
            assertTrue(filters.contains(expected), "kernel filter state lacks " + expected + ": " + filters);
        }

        tc.deleteIngress("vif1");
        assertEquals(List.of(), tc.redirectTargets("vif1"));
        KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
    }

    @Test
    void ipv4OnlyRedirectMatchesProtocolIp() {
        tc.addIngress("vif1");
        tc.addRedirect("vif1", "ifb0", Protocols.IPV4_ONLY);
        String filters = ns.tc("-j", "filter", "show", "dev", "vif1", "ingress");
        assertTrue(filters.contains("\"protocol\":\"ip\""), filters);
        assertFalse(filters.contains("\"protocol\":\"all\""), filters);
        assertEquals(List.of("ifb0"), tc.redirectTargets("vif1"));
        tc.deleteIngress("vif1");
    }

    @Test
    void refusedOperationsAreTypedAndCarryTheCommandAndStderr() {
        OperationFailedException noIngress = assertThrows(OperationFailedException.class,
                () -> tc.deleteIngress("vif1"));
        assertEquals(List.of("tc", "-n", ns.name(), "qdisc", "del", "dev", "vif1", "ingress"), noIngress.command());
        assertTrue(noIngress.exitCode().orElseThrow() != 0);
        assertFalse(noIngress.detail().isBlank());

        tc.addIngress("vif1");
        assertThrows(OperationFailedException.class, () -> tc.addIngress("vif1"));
        assertThrows(OperationFailedException.class, () -> tc.addRedirect("vif1", "nosuchifb", Protocols.ALL));
        assertEquals(List.of(), tc.redirectTargets("vif1"));
        assertThrows(OperationFailedException.class, () -> tc.qdiscs("nosuchdev"));
        assertThrows(OperationFailedException.class, () -> tc.deleteRoot("ifb0"), "default root qdisc");
        assertThrows(OperationFailedException.class, () -> new ToolsLinks(new CommandRunner(), "nbnosuchns").ifbs());
        tc.deleteIngress("vif1");
    }

    @Test
    void deleteRootRemovesAnExplicitRootQdiscAndStatsAreRead() throws java.io.IOException {
        // Up before the first dump: bringing a device up for the first time attaches its default qdisc.
        links.setUp("ifb0", true);
        String before = KernelState.dump(ns);
        ns.tc("qdisc", "add", "dev", "ifb0", "root", "handle", "7:", "pfifo", "limit", "100");
        Qdisc root = tc.qdiscs("ifb0").get(0);
        assertEquals("pfifo", root.kind());
        assertEquals(0x00070000, root.handle());
        assertEquals(TrafficControl.ROOT, root.parent());
        // traffic through the vif's redirect is counted by the IFB's root qdisc
        tc.addIngress("vif1");
        tc.addRedirect("vif1", "ifb0", Protocols.ALL);
        // Echoes to a made-up neighbour leave through vpeer and enter vif1; nobody answers them.
        ns.ip("addr", "add", "10.77.0.2/24", "dev", "vpeer");
        ns.ip("neigh", "add", "10.77.0.1", "lladdr", "02:00:00:00:00:01", "dev", "vpeer");
        Requirements.run("ip", "netns", "exec", ns.name(), "ping", "-q", "-c", "2", "-i", "0.2", "-w", "2",
                "10.77.0.1");
        Qdisc counted = tc.qdiscs("ifb0").get(0);
        assertTrue(counted.sentPackets() >= 2, "root qdisc of the IFB must count the redirected pings: " + counted);
        assertTrue(counted.sentBytes() >= 2 * 84, counted.toString());
        tc.deleteIngress("vif1");
        tc.deleteRoot("ifb0");
        assertFalse(tc.qdiscs("ifb0").stream().anyMatch(Qdisc::isExplicit));
        ns.ip("neigh", "del", "10.77.0.1", "dev", "vpeer");
        ns.ip("addr", "del", "10.77.0.2/24", "dev", "vpeer");
        KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
    }

    @Test
    void thePlugMatchesWhatTheKernelCanDoAndAFailedAddLeavesNothingBehind() {
        boolean kernelHasPlug = KernelState.kernelHasPlug();
        String before = KernelState.dump(ns);
        if (!kernelHasPlug) {
            OperationFailedException e = assertThrows(OperationFailedException.class,
                    () -> tc.addPlug("ifb0", 10_000_000));
            assertEquals(List.of("tc", "-n", ns.name(), "qdisc", "add", "dev", "ifb0", "root", "plug", "limit",
                    "10000000"), e.command());
            assertTrue(e.detail().contains("unknown"), e.detail());
            assertThrows(OperationFailedException.class, () -> tc.plug(List.of("ifb0"), PlugAction.BUFFER));
            KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
            return;
        }
        tc.addPlug("ifb0", 10_000_000);
        Qdisc plug = tc.qdiscs("ifb0").get(0);
        assertEquals("plug", plug.kind());
        assertEquals(TrafficControl.ROOT, plug.parent());
        for (PlugAction action : List.of(PlugAction.BUFFER, PlugAction.RELEASE_ONE, PlugAction.RELEASE_INDEFINITE,
                PlugAction.limit(5000))) {
            tc.plug(List.of("ifb0"), action);
        }
        tc.deleteRoot("ifb0");
        KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
    }

}
