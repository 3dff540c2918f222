package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.RootQdiscRequests;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The native traffic-control backend against the real kernel, inside a throwaway network
 * namespace, with the kernel's state read back through {@code tc -j}.
 */
class NetlinkTrafficControlIT {
    @RegisterExtension
    final NetlinkNamespace kernel = new NetlinkNamespace("nbtc");
    private Netns ns;
    private NetlinkLinks links;
    private NetlinkTrafficControl tc;

    @BeforeEach
    void setUp() {
        ns = kernel.netns();
        links = kernel.links();
        tc = kernel.tc();
        ns.ip("link", "add", "vif1.0", "type", "veth", "peer", "name", "peer1");
        links.createIfb("ifb0");
        links.createIfb("ifb1");
    }

    @Test
    void ingressQdiscIsAddedListedAndDeleted() {
        tc.addIngress("vif1.0");
        assertEquals("[{\"kind\":\"ingress\",\"handle\":\"ffff:\",\"parent\":\"ffff:fff1\",\"options\":{}}]",
                ingressJson("vif1.0"));
        Qdisc ingress = tc.qdiscs("vif1.0").stream().filter(q -> q.kind().equals("ingress")).findFirst().orElseThrow();
        assertEquals(0xFFFF0000, ingress.handle());
        assertEquals(TrafficControl.INGRESS, ingress.parent());

        OperationFailedException twice = assertThrows(OperationFailedException.class, () -> tc.addIngress("vif1.0"));
        assertEquals(Optional.of(17), twice.errno(), "EEXIST");
        assertEquals(Optional.of("vif1.0"), twice.vif());

        tc.deleteIngress("vif1.0");
        assertEquals("[]", ingressJson("vif1.0"));
        assertTrue(tc.qdiscs("vif1.0").stream().noneMatch(q -> q.kind().equals("ingress")));
        OperationFailedException none = assertThrows(OperationFailedException.class, () -> tc.deleteIngress("vif1.0"));
        assertTrue(none.errno().isPresent());
        assertFalse(none.detail().isBlank(), "the kernel explains: " + none.getMessage());
    }

    @Test
    void redirectForAllProtocolsReadsBackAsTcWouldWriteIt() {
        tc.addIngress("vif1.0");
        tc.addRedirect("vif1.0", "ifb1", Protocols.ALL);

        String json = ns.tc("-j", "filter", "show", "dev", "vif1.0", "parent", "ffff:");
        assertTrue(json.contains("\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\""), json);
        assertTrue(json.contains("\"match\":{\"value\":\"0\",\"mask\":\"0\",\"offmask\":\"\",\"off\":0}"), json);
        assertTrue(json.contains("\"kind\":\"mirred\",\"mirred_action\":\"redirect\",\"direction\":\"egress\","
                + "\"to_dev\":\"ifb1\",\"control_action\":{\"type\":\"stolen\"}"), json);
        assertTrue(ns.tc("filter", "show", "dev", "vif1.0", "parent", "ffff:").contains("terminal flowid"),
                "the selector carries TC_U32_TERMINAL");

        assertEquals(List.of("ifb1"), tc.redirectTargets("vif1.0"));
        assertEquals(List.of(), tc.redirectTargets("peer1"), "no ingress qdisc: no targets");
    }

    @Test
    void ipv4OnlyRedirectMatchesProtocolIp() {
        tc.addIngress("vif1.0");
        tc.addRedirect("vif1.0", "ifb0", Protocols.IPV4_ONLY);
        String json = ns.tc("-j", "filter", "show", "dev", "vif1.0", "parent", "ffff:");
        assertTrue(json.contains("\"protocol\":\"ip\",\"pref\":10,\"kind\":\"u32\""), json);
        assertTrue(json.contains("\"to_dev\":\"ifb0\""), json);
        assertEquals(List.of("ifb0"), tc.redirectTargets("vif1.0"));
    }

    @Test
    void redirectTargetsReadsFiltersAddedByTc() {
        ns.tc("qdisc", "add", "dev", "vif1.0", "ingress");
        ns.tc("filter", "add", "dev", "vif1.0", "parent", "ffff:", "proto", "ip", "prio", "10", "u32", "match",
                "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb0");
        ns.tc("filter", "add", "dev", "vif1.0", "parent", "ffff:", "proto", "ipv6", "prio", "11", "u32", "match",
                "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb1");
        assertEquals(List.of("ifb0", "ifb1"), tc.redirectTargets("vif1.0"));
    }

    @Test
    void redirectWithoutIngressFailsWithTheKernelsReason() {
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.addRedirect("vif1.0", "ifb0", Protocols.ALL));
        assertTrue(e.errno().isPresent());
        assertFalse(e.detail().isBlank());
        assertEquals("", ns.tc("filter", "show", "dev", "vif1.0", "parent", "ffff:").strip());
    }

    @Test
    void addPlugFailsOnThisKernelWithErrnoAndExtackAndLeavesNothingBehind() {
        String before = ns.tc("-j", "qdisc", "show", "dev", "ifb0");
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> tc.addPlug("ifb0", 10_000_000));
        if (sysModuleExists("sch_plug")) {
            throw new AssertionError("this test expects a kernel without sch_plug");
        }
        assertEquals(Optional.of(2), e.errno(), "ENOENT: " + e.getMessage());
        assertEquals("Specified qdisc kind is unknown", e.detail(), "the kernel's extended ack");
        assertEquals(Optional.of("ifb0"), e.ifb());
        assertEquals(before, ns.tc("-j", "qdisc", "show", "dev", "ifb0"));
        assertTrue(tc.qdiscs("ifb0").stream().noneMatch(Qdisc::isExplicit));
    }

    @Test
    void plugActionsAttemptEveryDeviceAndThrowTheFirstFailure() {
        ns.tc("qdisc", "add", "dev", "ifb1", "root", "handle", "1:", "pfifo", "limit", "10");
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.plug(List.of("ifb0", "ifb1", "nosuch0"), PlugAction.BUFFER));
        assertEquals(Optional.of("ifb0"), e.ifb());
        assertEquals(Optional.of(2), e.errno(), "ifb0 has no root qdisc to change: ENOENT");
        assertTrue(e.detail().contains("Qdisc not found"), e.detail());
        assertEquals(2, e.getSuppressed().length);
        OperationFailedException second = (OperationFailedException) e.getSuppressed()[0];
        assertEquals(Optional.of("ifb1"), second.ifb());
        // This kernel has no plug qdisc at all, so it refuses the kind before looking at ifb1's pfifo.
        assertEquals(Optional.of(2), second.errno(), "ENOENT");
        assertEquals("Specified qdisc kind is unknown", second.detail());
        OperationFailedException third = (OperationFailedException) e.getSuppressed()[1];
        assertEquals(Optional.of(19), third.errno(), "no such device: ENODEV");
        assertTrue(ns.tc("qdisc", "show", "dev", "ifb1").contains("limit 10p"), "pfifo untouched");
    }

    @Test
    void rootQdiscChangeChangesEveryDeviceInOneBatch() {
        for (String ifb : List.of("ifb0", "ifb1")) {
            ns.tc("qdisc", "add", "dev", ifb, "root", "handle", "1:", "pfifo", "limit", "10");
        }
        RootQdiscRequests.of(tc).change(List.of("ifb0", "ifb1"), "pfifo", new int[] {777});
        assertTrue(ns.tc("qdisc", "show", "dev", "ifb0").contains("pfifo 1: root refcnt 2 limit 777p"));
        assertTrue(ns.tc("qdisc", "show", "dev", "ifb1").contains("pfifo 1: root refcnt 2 limit 777p"));
    }

    @Test
    void cachedIfindexIsRefreshedWhenTheDeviceIsRecreated() {
        ns.tc("qdisc", "add", "dev", "ifb0", "root", "handle", "1:", "pfifo", "limit", "10");
        RootQdiscRequests.of(tc).change(List.of("ifb0"), "pfifo", new int[] {20});
        links.deleteIfb("ifb0");
        links.createIfb("ifb0");
        ns.tc("qdisc", "add", "dev", "ifb0", "root", "handle", "1:", "pfifo", "limit", "10");
        RootQdiscRequests.of(tc).change(List.of("ifb0"), "pfifo", new int[] {30});
        assertTrue(ns.tc("qdisc", "show", "dev", "ifb0").contains("limit 30p"));
    }

    @Test
    void deleteRootRemovesAnExplicitRootAndRefusesTheDefault() {
        ns.tc("qdisc", "add", "dev", "ifb0", "root", "handle", "1:", "pfifo", "limit", "10");
        tc.deleteRoot("ifb0");
        assertFalse(ns.tc("qdisc", "show", "dev", "ifb0").contains("pfifo 1:"));
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> tc.deleteRoot("ifb0"));
        assertEquals(Optional.of(2), e.errno(), "ENOENT");
        assertFalse(e.detail().isBlank());
    }

    @Test
    void qdiscStatsMatchWhatTcReports() {
        try (Netns peer = Netns.create("nbpeer")) {
            ns.ip("link", "set", "peer1", "netns", peer.name());
            peer.ip("addr", "add", "10.9.0.2/24", "dev", "peer1");
            peer.ip("link", "set", "peer1", "up");
            ns.exec("sysctl", "-q", "-w", "net.ipv6.conf.vif1/0.disable_ipv6=1");
            ns.tc("qdisc", "add", "dev", "vif1.0", "root", "handle", "1:", "pfifo", "limit", "100");
            ns.ip("addr", "add", "10.9.0.1/24", "dev", "vif1.0");
            ns.ip("link", "set", "vif1.0", "up");
            ns.exec("ping", "-c", "3", "-i", "0.2", "-W", "2", "-q", "10.9.0.2");
            assertStatsMatchTc();
        }
    }

    private void assertStatsMatchTc() {
        Qdisc root = tc.qdiscs("vif1.0").stream().filter(q -> q.parent() == TrafficControl.ROOT).findFirst()
                .orElseThrow();
        String stats = ns.tc("-s", "-j", "qdisc", "show", "dev", "vif1.0", "root");
        assertEquals("pfifo", root.kind());
        assertEquals(0x10000, root.handle());
        assertTrue(root.sentPackets() >= 3, root.toString());
        assertTrue(stats.contains("\"bytes\":" + root.sentBytes() + ",\"packets\":" + root.sentPackets() + ","),
                root + " vs " + stats);
        assertTrue(stats.contains("\"drops\":" + root.drops() + ","), stats);
        assertTrue(stats.contains("\"backlog\":" + root.backlogBytes() + ",\"qlen\":" + root.backlogPackets()),
                stats);
    }

    private String ingressJson(String dev) {
        return ns.tc("-j", "qdisc", "show", "dev", dev, "ingress").strip();
    }

    private static boolean sysModuleExists(String module) {
        return java.nio.file.Files.exists(java.nio.file.Path.of("/sys/module", module));
    }
}
