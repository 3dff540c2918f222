package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.spi.Link;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The native links backend against the real kernel, inside a throwaway network namespace. */
class NetlinkLinksIT {
    @RegisterExtension
    final NetlinkNamespace kernel = new NetlinkNamespace("nblnk");
    private Netns ns;
    private NetlinkLinks links;

    @BeforeEach
    void setUp() {
        ns = kernel.netns();
        links = kernel.links();
    }

    @Test
    void findsLoopbackAndNothingElseInAFreshNamespace() {
        Link lo = links.find("lo").orElseThrow();
        assertEquals(1, lo.index());
        assertEquals("", lo.kind());
        assertTrue(lo.up(), "the fixture sets lo up");
        assertEquals(Optional.empty(), links.find("nosuchdev0"));
        assertEquals(List.of(), links.ifbs());
    }

    @Test
    void socketActsInsideItsNamespaceOnly() {
        links.createIfb("ifb42");
        assertTrue(ns.ip("-o", "link", "show", "ifb42").contains("ifb42"));
        assertThrows(IllegalStateException.class, () -> Netns.sh("ip", "link", "show", "ifb42"),
                "the IFB must not appear in the host namespace");
    }

    @Test
    void createsListsAndDeletesIfbsByKind() {
        links.createIfb("ifb3");
        links.createIfb("buf0"); // an IFB whose name does not say so
        ns.ip("link", "add", "ifbfake", "type", "veth", "peer", "name", "vethpeer");

        List<Link> ifbs = links.ifbs();
        assertEquals(List.of("buf0", "ifb3"), ifbs.stream().map(Link::name).toList());
        assertTrue(ifbs.stream().allMatch(l -> l.isIfb() && !l.up()), "new IFBs are down: " + ifbs);
        Link ifb3 = links.find("ifb3").orElseThrow();
        assertEquals("ifb", ifb3.kind());
        assertTrue(ns.ip("-d", "-o", "link", "show", "ifb3").contains(" ifb "), "ip agrees it is an ifb");
        assertEquals("veth", links.find("ifbfake").orElseThrow().kind());

        links.deleteIfb("ifb3");
        assertEquals(Optional.empty(), links.find("ifb3"));
        assertEquals(List.of("buf0"), links.ifbs().stream().map(Link::name).toList());
    }

    @Test
    void createRefusesAnExistingNameWithTheKernelsErrno() {
        links.createIfb("ifb1");
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> links.createIfb("ifb1"));
        assertEquals(Optional.of(17), e.errno(), "EEXIST");
        assertEquals(Optional.of("ifb1"), e.ifb());
        assertFalse(e.detail().isBlank());
    }

    @Test
    void deleteRefusesNonIfbsAndMissingDevices() {
        ns.ip("link", "add", "dum0", "type", "veth", "peer", "name", "dum1");
        OperationFailedException notIfb = assertThrows(OperationFailedException.class, () -> links.deleteIfb("dum0"));
        assertTrue(notIfb.getMessage().contains("not an IFB"), notIfb.getMessage());
        assertTrue(links.find("dum0").isPresent(), "the veth is still there");

        OperationFailedException missing = assertThrows(OperationFailedException.class,
                () -> links.deleteIfb("ifb9"));
        assertEquals(Optional.of(19), missing.errno(), "ENODEV");
    }

    @Test
    void setsUpAndDown() {
        links.createIfb("ifb0");
        links.setUp("ifb0", true);
        assertTrue(links.find("ifb0").orElseThrow().up());
        assertTrue(ns.ip("-o", "link", "show", "ifb0").contains("<BROADCAST,NOARP,UP,LOWER_UP>"),
                ns.ip("-o", "link", "show", "ifb0"));
        links.setUp("ifb0", false);
        assertFalse(links.find("ifb0").orElseThrow().up());
        assertFalse(ns.ip("-o", "link", "show", "ifb0").contains(",UP"));

        OperationFailedException e = assertThrows(OperationFailedException.class, () -> links.setUp("nodev", true));
        assertEquals(Optional.of(19), e.errno(), "ENODEV");
    }

    @Test
    void rejectsBadNamesBeforeTouchingTheKernel() {
        assertThrows(InvalidConfigurationException.class, () -> links.createIfb("a-name-far-too-long"));
        assertThrows(InvalidConfigurationException.class, () -> links.createIfb("bad/name"));
        assertThrows(InvalidConfigurationException.class, () -> links.find(""));
        assertEquals(List.of(), links.ifbs());
    }
}
