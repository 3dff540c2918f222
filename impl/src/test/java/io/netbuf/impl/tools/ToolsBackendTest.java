package io.netbuf.impl.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The tools backends against recorded iproute2 6.1 output, with the command runner mocked. */
class ToolsBackendTest {
    /** {@code ip -j -d link show} of a namespace with lo, an IFB and a veth pair (trimmed). */
    static final String LINKS = "[{\"ifindex\":1,\"ifname\":\"lo\",\"flags\":[\"LOOPBACK\"],\"mtu\":65536,"
            + "\"qdisc\":\"noop\",\"operstate\":\"DOWN\",\"link_type\":\"loopback\"},"
            + "{\"ifindex\":2,\"ifname\":\"ifb7\",\"flags\":[\"BROADCAST\",\"NOARP\",\"UP\",\"LOWER_UP\"],"
            + "\"mtu\":1500,\"linkinfo\":{\"info_kind\":\"ifb\"},\"num_tx_queues\":1},"
            + "{\"ifindex\":3,\"link\":\"vif1\",\"ifname\":\"vpeer\",\"flags\":[\"BROADCAST\",\"MULTICAST\"],"
            + "\"linkinfo\":{\"info_kind\":\"veth\"}},"
            + "{\"ifindex\":4,\"link\":\"vpeer\",\"ifname\":\"vif1\",\"flags\":[\"NO-CARRIER\",\"BROADCAST\","
            + "\"MULTICAST\",\"UP\",\"M-DOWN\"],\"linkinfo\":{\"info_kind\":\"veth\"}},"
            + "{\"ifindex\":5,\"ifname\":\"aaa\",\"flags\":[],\"linkinfo\":{\"info_kind\":\"ifb\"}}]";
    /** {@code tc -j -s qdisc show dev vif1} with an ingress qdisc. */
    static final String VIF_QDISCS = "[{\"kind\":\"noqueue\",\"handle\":\"0:\",\"root\":true,\"refcnt\":2,"
            + "\"options\":{},\"bytes\":0,\"packets\":0,\"drops\":0,\"overlimits\":0,\"requeues\":0,\"backlog\":0,"
            + "\"qlen\":0},{\"kind\":\"ingress\",\"handle\":\"ffff:\",\"parent\":\"ffff:fff1\",\"options\":{},"
            + "\"bytes\":0,\"packets\":0,\"drops\":0,\"overlimits\":0,\"requeues\":0,\"backlog\":0,\"qlen\":0}]";
    /** {@code tc -j -s qdisc show dev ifb7} with an explicit root qdisc holding packets. */
    static final String IFB_QDISCS = "[{\"kind\":\"plug\",\"handle\":\"8002:\",\"root\":true,\"refcnt\":2,"
            + "\"options\":{},\"bytes\":1234,\"packets\":7,\"drops\":3,\"overlimits\":0,\"requeues\":0,"
            + "\"backlog\":196,\"qlen\":2}]";
    /** {@code tc -j filter show dev vif1 ingress} with an ALL and an IPv4-only redirect. */
    static final String FILTERS = "[{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\","
            + "\"chain\":0},{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\",\"chain\":0,"
            + "\"options\":{\"fh\":\"800:\",\"ht_divisor\":1}},{\"parent\":\"ffff:\",\"protocol\":\"all\","
            + "\"pref\":10,\"kind\":\"u32\",\"chain\":0,\"options\":{\"fh\":\"800::800\",\"order\":2048,"
            + "\"key_ht\":\"800\",\"bkt\":\"0\",\"not_in_hw\":true,\"match\":{\"value\":\"0\",\"mask\":\"0\","
            + "\"offmask\":\"\",\"off\":0},\"actions\":[{\"order\":1,\"kind\":\"mirred\",\"mirred_action\":"
            + "\"redirect\",\"direction\":\"egress\",\"to_dev\":\"ifb7\",\"control_action\":{\"type\":\"stolen\"},"
            + "\"index\":1,\"ref\":1,\"bind\":1}]}},{\"parent\":\"ffff:\",\"protocol\":\"ip\",\"pref\":11,"
            + "\"kind\":\"u32\",\"chain\":0,\"options\":{\"fh\":\"801::800\",\"actions\":[{\"order\":1,"
            + "\"kind\":\"mirred\",\"mirred_action\":\"mirror\",\"to_dev\":\"ifb9\"},{\"order\":2,\"kind\":"
            + "\"mirred\",\"mirred_action\":\"redirect\",\"to_dev\":\"ifb8\"},{\"order\":3,\"kind\":\"mirred\","
            + "\"mirred_action\":\"redirect\",\"to_dev\":\"ifb7\"}]}}]";

    private final CommandRunner runner = mock(CommandRunner.class);
    private final ToolsLinks links = new ToolsLinks(runner, "ns1");
    private final ToolsTrafficControl tc = new ToolsTrafficControl(runner, "ns1");

    private static CommandRunner.Result result(List<String> argv, int exit, String stdout, String stderr) {
        return new CommandRunner.Result(argv, exit, stdout, stderr);
    }

    @Test
    void parsesLinksWithKindAndAdminState() {
        List<Link> parsed = ToolsLinks.links("op", LINKS);
        assertEquals(List.of(new Link("lo", 1, "", false), new Link("ifb7", 2, "ifb", true),
                new Link("vpeer", 3, "veth", false), new Link("vif1", 4, "veth", true),
                new Link("aaa", 5, "ifb", false)), parsed);
    }

    @Test
    void findsIfbsByKindSortedByName() {
        List<String> argv = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show");
        when(runner.check(eq("iproute2"), anyString(), eq(argv))).thenReturn(LINKS);
        assertEquals(List.of(new Link("aaa", 5, "ifb", false), new Link("ifb7", 2, "ifb", true)), links.ifbs());
    }

    @Test
    void findReturnsTheLinkOrEmptyWhenTheDeviceDoesNotExist() {
        List<String> vif = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "vif1");
        List<String> gone = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "gone");
        when(runner.run(eq("iproute2"), anyString(), eq(vif))).thenReturn(result(vif, 0, LINKS, ""));
        when(runner.run(eq("iproute2"), anyString(), eq(gone)))
                .thenReturn(result(gone, 1, "", "Device \"gone\" does not exist.\n"));
        assertEquals(Optional.of(new Link("vif1", 4, "veth", true)), links.find("vif1"));
        assertEquals(Optional.empty(), links.find("gone"));
    }

    @Test
    void findReportsOtherFailuresWithTheCommand() {
        List<String> argv = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "vif1");
        when(runner.run(eq("iproute2"), anyString(), eq(argv)))
                .thenReturn(result(argv, 255, "", "Cannot open network namespace \"ns1\"\n"));
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> links.find("vif1"));
        assertEquals(argv, e.command());
        assertEquals(Optional.of(255), e.exitCode());
        assertTrue(e.detail().contains("Cannot open network namespace"));
    }

    @Test
    void unparsableOutputIsAnOperationFailure() {
        List<String> argv = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show");
        when(runner.check(eq("iproute2"), anyString(), eq(argv))).thenReturn("[{\"ifname\":");
        OperationFailedException e = assertThrows(OperationFailedException.class, links::ifbs);
        assertTrue(e.getMessage().contains("could not parse the JSON output of ip"), e.getMessage());
        when(runner.check(eq("iproute2"), anyString(), eq(argv))).thenReturn("[{\"flags\":[]}]");
        assertThrows(OperationFailedException.class, links::ifbs);
    }

    @Test
    void createsSetsUpAndDeletesWithTheExactArgv() {
        List<String> show = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "ifb7");
        when(runner.run(eq("iproute2"), anyString(), eq(show))).thenReturn(result(show, 0, LINKS, ""));
        links.createIfb("ifb3");
        links.setUp("ifb3", true);
        links.setUp("ifb3", false);
        links.deleteIfb("ifb7");
        verify(runner).check(eq("iproute2"), anyString(), eq(List.of("ip", "-n", "ns1", "link", "add", "ifb3",
                "type", "ifb")));
        verify(runner).check(eq("iproute2"), anyString(), eq(List.of("ip", "-n", "ns1", "link", "set", "dev",
                "ifb3", "up")));
        verify(runner).check(eq("iproute2"), anyString(), eq(List.of("ip", "-n", "ns1", "link", "set", "dev",
                "ifb3", "down")));
        verify(runner).check(eq("iproute2"), anyString(), eq(List.of("ip", "-n", "ns1", "link", "del", "dev",
                "ifb7")));
    }

    @Test
    void setsTheIpv6ModeOnlyWhenItDiffersAndReportsThePreviousOne() {
        List<String> show = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "ifb7");
        String stable = "[{\"ifindex\":2,\"ifname\":\"ifb7\",\"flags\":[],\"inet6_addr_gen_mode\":\"stable_secret\"}]";
        when(runner.run(eq("iproute2"), anyString(), eq(show))).thenReturn(result(show, 0, stable, ""));
        assertEquals(Optional.of(Ipv6AddrGenMode.STABLE_PRIVACY),
                links.setIpv6AddrGenMode("ifb7", Ipv6AddrGenMode.NONE));
        assertEquals(Optional.of(Ipv6AddrGenMode.STABLE_PRIVACY),
                links.setIpv6AddrGenMode("ifb7", Ipv6AddrGenMode.STABLE_PRIVACY));
        verify(runner).check(eq("iproute2"), anyString(), eq(List.of("ip", "-n", "ns1", "link", "set", "dev",
                "ifb7", "addrgenmode", "none")));
        verify(runner, times(1)).check(anyString(), anyString(), anyList());
    }

    @Test
    void aLinkWithoutIpv6IsLeftAloneAndAMissingOneIsRefused() {
        List<String> show = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "ifb7");
        when(runner.run(eq("iproute2"), anyString(), eq(show))).thenReturn(result(show, 0, LINKS, ""));
        assertEquals(Optional.empty(), links.setIpv6AddrGenMode("ifb7", Ipv6AddrGenMode.NONE));
        List<String> gone = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "gone");
        when(runner.run(eq("iproute2"), anyString(), eq(gone)))
                .thenReturn(result(gone, 1, "", "Device \"gone\" does not exist.\n"));
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> links.setIpv6AddrGenMode("gone", Ipv6AddrGenMode.NONE));
        assertEquals(Optional.of(1), e.exitCode());
        verify(runner, never()).check(anyString(), anyString(), anyList());
    }

    @Test
    void deleteIfbRefusesADeviceThatIsNotAnIfb() {
        List<String> show = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "vif1");
        when(runner.run(eq("iproute2"), anyString(), eq(show))).thenReturn(result(show, 0, LINKS, ""));
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> links.deleteIfb("vif1"));
        assertTrue(e.getMessage().contains("not an IFB"), e.getMessage());
        verify(runner, never()).check(anyString(), anyString(), anyList());
    }

    @Test
    void deleteIfbOfAMissingDeviceIsRefusedWithTheLookUpsOutput() {
        List<String> show = List.of("ip", "-n", "ns1", "-j", "-d", "link", "show", "dev", "gone");
        when(runner.run(eq("iproute2"), anyString(), eq(show)))
                .thenReturn(result(show, 1, "", "Device \"gone\" does not exist.\n"));
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> links.deleteIfb("gone"));
        assertEquals(show, e.command());
        assertEquals(Optional.of(1), e.exitCode());
        assertTrue(e.detail().contains("does not exist"));
        verify(runner, never()).check(anyString(), anyString(), anyList());
    }

    @Test
    void withoutANamespaceNoNamespaceOptionIsPassed() {
        new ToolsLinks(runner, null).createIfb("ifb3");
        new ToolsTrafficControl(runner, null).addIngress("vif1");
        verify(runner).check("iproute2", "create IFB ifb3", List.of("ip", "link", "add", "ifb3", "type", "ifb"));
        verify(runner).check("iproute2", "add ingress qdisc to vif1", List.of("tc", "qdisc", "add", "dev", "vif1",
                "ingress"));
    }

    @Test
    void badNamesAreRejectedBeforeAnyCommandRuns() {
        assertThrows(InvalidConfigurationException.class, () -> links.createIfb("a b"));
        assertThrows(InvalidConfigurationException.class, () -> links.find("x/y"));
        assertThrows(InvalidConfigurationException.class, () -> links.setUp("0123456789abcdef", true));
        assertThrows(InvalidConfigurationException.class, () -> tc.addRedirect("vif1", "", Protocols.ALL));
        assertThrows(InvalidConfigurationException.class, () -> tc.addPlug("ifb0", 0));
        assertThrows(InvalidConfigurationException.class, () -> tc.addPlug("ifb0", 0x1_0000_0000L));
        assertThrows(InvalidConfigurationException.class, () -> tc.plug(List.of("ifb0", "bad:name"),
                PlugAction.BUFFER));
        assertThrows(InvalidConfigurationException.class, () -> new ToolsLinks(runner, "a/b"));
        assertThrows(InvalidConfigurationException.class, () -> new ToolsTrafficControl(runner, ".."));
        verifyNoInteractions(runner);
    }

    @Test
    void parsesQdiscsWithHandlesParentsAndCounters() {
        assertEquals(List.of(new Qdisc("noqueue", 0, TrafficControl.ROOT, 0, 0, 0, 0, 0),
                new Qdisc("ingress", 0xFFFF0000, TrafficControl.INGRESS, 0, 0, 0, 0, 0)),
                ToolsTrafficControl.qdiscs("op", VIF_QDISCS));
        assertEquals(List.of(new Qdisc("plug", 0x80020000, TrafficControl.ROOT, 196, 2, 3, 1234, 7)),
                ToolsTrafficControl.qdiscs("op", IFB_QDISCS));
        assertEquals(List.of(), ToolsTrafficControl.qdiscs("op", "[]"));
        assertEquals(List.of(), ToolsTrafficControl.qdiscs("op", ""));
    }

    @Test
    void parsesHandles() {
        assertEquals(0, ToolsTrafficControl.handleId("op", "0:"));
        assertEquals(0x80010000, ToolsTrafficControl.handleId("op", "8001:"));
        assertEquals(0xFFFFFFF1, ToolsTrafficControl.handleId("op", "ffff:fff1"));
        assertEquals(0x00010002, ToolsTrafficControl.handleId("op", "1:2"));
        for (String bad : List.of("", "8001", "1:2:3", "x:", "10000:", ":-1")) {
            assertThrows(OperationFailedException.class, () -> ToolsTrafficControl.handleId("op", bad), bad);
        }
    }

    @Test
    void redirectTargetsAreTheMirredRedirectsInOrderWithoutDuplicatesOrMirrors() {
        assertEquals(List.of("ifb7", "ifb8"), ToolsTrafficControl.redirectTargets("op", FILTERS));
        assertEquals(List.of(), ToolsTrafficControl.redirectTargets("op", "[]"));
    }

    @Test
    void trafficControlCommandsHaveTheExactArgv() {
        when(runner.check(eq("iproute2"), anyString(), eq(List.of("tc", "-n", "ns1", "-j", "-s", "qdisc", "show",
                "dev", "vif1")))).thenReturn(VIF_QDISCS);
        when(runner.check(eq("iproute2"), anyString(), eq(List.of("tc", "-n", "ns1", "-j", "filter", "show", "dev",
                "vif1", "ingress")))).thenReturn(FILTERS);
        assertEquals(2, tc.qdiscs("vif1").size());
        assertEquals(List.of("ifb7", "ifb8"), tc.redirectTargets("vif1"));
        tc.addIngress("vif1");
        tc.deleteIngress("vif1");
        tc.addRedirect("vif1", "ifb7", Protocols.ALL);
        tc.addRedirect("vif1", "ifb7", Protocols.IPV4_ONLY);
        tc.addPlug("ifb7", 10_000_000);
        tc.deleteRoot("ifb7");
        for (List<String> args : List.of(List.of("qdisc", "add", "dev", "vif1", "ingress"),
                List.of("qdisc", "del", "dev", "vif1", "ingress"),
                List.of("filter", "add", "dev", "vif1", "parent", "ffff:", "protocol", "all", "prio", "10", "u32",
                        "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb7"),
                List.of("filter", "add", "dev", "vif1", "parent", "ffff:", "protocol", "ip", "prio", "10", "u32",
                        "match", "u32", "0", "0", "action", "mirred", "egress", "redirect", "dev", "ifb7"),
                List.of("qdisc", "add", "dev", "ifb7", "root", "plug", "limit", "10000000"),
                List.of("qdisc", "del", "dev", "ifb7", "root"))) {
            verify(runner).check(eq("iproute2"), anyString(), eq(tcArgv(args)));
        }
    }

    @Test
    void plugActionsMapToTcWords() {
        assertEquals(List.of("block"), ToolsTrafficControl.plugWords(PlugAction.BUFFER));
        assertEquals(List.of("release"), ToolsTrafficControl.plugWords(PlugAction.RELEASE_ONE));
        assertEquals(List.of("release_indefinite"), ToolsTrafficControl.plugWords(PlugAction.RELEASE_INDEFINITE));
        assertEquals(List.of("limit", "4294967295"), ToolsTrafficControl.plugWords(PlugAction.limit(0xFFFF_FFFFL)));
    }

    @Test
    void plugAppliesToEveryIfbAndThrowsTheFirstFailureAfterTheRest() {
        List<String> one = tcArgv(List.of("qdisc", "change", "dev", "ifb1", "root", "plug", "release"));
        List<String> two = tcArgv(List.of("qdisc", "change", "dev", "ifb2", "root", "plug", "release"));
        List<String> three = tcArgv(List.of("qdisc", "change", "dev", "ifb3", "root", "plug", "release"));
        OperationFailedException first = OperationFailedException.ofCommand("plug", one, 2, "no plug", null, null);
        OperationFailedException second = OperationFailedException.ofCommand("plug", three, 2, "no plug", null,
                null);
        when(runner.check(eq("iproute2"), anyString(), eq(one))).thenThrow(first);
        when(runner.check(eq("iproute2"), anyString(), eq(three))).thenThrow(second);
        OperationFailedException thrown = assertThrows(OperationFailedException.class,
                () -> tc.plug(List.of("ifb1", "ifb2", "ifb3"), PlugAction.RELEASE_ONE));
        assertSame(first, thrown);
        assertEquals(List.of(second), List.of(thrown.getSuppressed()));
        verify(runner).check(eq("iproute2"), anyString(), eq(two));
        verify(runner).check(eq("iproute2"), anyString(), eq(three));
    }

    private static List<String> tcArgv(List<String> args) {
        List<String> argv = new java.util.ArrayList<>(List.of("tc", "-n", "ns1"));
        argv.addAll(args);
        return argv;
    }

    /** {@code tc -j filter show dev eth0 ingress} on a 6.x kernel: a mirror, netbuf's redirect, a two-key filter. */
    private static final String INGRESS = "[{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":1,\"kind\":\"u32\","
            + "\"chain\":0},{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":1,\"kind\":\"u32\",\"chain\":0,"
            + "\"options\":{\"fh\":\"800:\",\"ht_divisor\":1}},{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":1,"
            + "\"kind\":\"u32\",\"chain\":0,\"options\":{\"fh\":\"800::800\",\"order\":2048,\"key_ht\":\"800\","
            + "\"bkt\":\"0\",\"not_in_hw\":true,\"match\":{\"value\":\"0\",\"mask\":\"0\",\"offmask\":\"\",\"off\":0},"
            + "\"actions\":[{\"order\":1,\"kind\":\"mirred\",\"mirred_action\":\"mirror\",\"direction\":\"egress\","
            + "\"to_dev\":\"ifb8\",\"control_action\":{\"type\":\"pipe\"},\"index\":1,\"ref\":1,\"bind\":1}]}},"
            + "{\"parent\":\"ffff:\",\"protocol\":\"all\",\"pref\":10,\"kind\":\"u32\",\"chain\":0,\"options\":{"
            + "\"fh\":\"801::800\",\"order\":2048,\"key_ht\":\"801\",\"bkt\":\"0\",\"not_in_hw\":true,\"match\":{"
            + "\"value\":\"0\",\"mask\":\"0\",\"offmask\":\"\",\"off\":0},\"actions\":[{\"order\":1,\"kind\":"
            + "\"mirred\",\"mirred_action\":\"redirect\",\"direction\":\"egress\",\"to_dev\":\"ifb7\","
            + "\"control_action\":{\"type\":\"stolen\"},\"index\":2,\"ref\":1,\"bind\":1}]}},"
            + "{\"parent\":\"ffff:\",\"protocol\":\"ip\",\"pref\":20,\"kind\":\"u32\",\"chain\":0,\"options\":{"
            + "\"fh\":\"802::800\",\"match\":{\"value\":\"a000001\",\"mask\":\"ffffffff\",\"offmask\":\"\",\"off\":16},"
            + "\"match\":{\"value\":\"0\",\"mask\":\"0\",\"offmask\":\"\",\"off\":12},\"actions\":[{\"order\":1,"
            + "\"kind\":\"mirred\",\"mirred_action\":\"redirect\",\"direction\":\"egress\",\"to_dev\":\"ifb7\"}]}}]";

    @Test
    void ingressFiltersAreReadFromTcJsonWithoutHeadersAndHashTables() {
        List<IngressFilter> filters = ToolsTrafficControl.ingressFilters("op", INGRESS);
        assertEquals(List.of(
                new IngressFilter("u32", 1, IngressFilter.ETH_P_ALL, 0, 0x80000800, null, false),
                new IngressFilter("u32", 10, IngressFilter.ETH_P_ALL, 0, 0x80100800, "ifb7", true),
                new IngressFilter("u32", 20, IngressFilter.ETH_P_IP, 0, 0x80200800, "ifb7", false)), filters);
        assertTrue(filters.get(1).isNetbufRedirectTo("ifb7"));
        assertEquals(List.of(), ToolsTrafficControl.ingressFilters("op", "[]"));
        assertEquals(0x80100800, ToolsTrafficControl.u32Handle("op", "801::800"));
        assertThrows(OperationFailedException.class, () -> ToolsTrafficControl.u32Handle("op", "zz::1"));
    }
}
