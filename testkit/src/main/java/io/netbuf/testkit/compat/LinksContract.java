package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.Ipv6AddrGenMode;
import io.netbuf.spi.Link;
import io.netbuf.spi.Links;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Compatibility kit for {@link Links}: what a Linux kernel does with links and IFB devices. */
public abstract class LinksContract extends PortContract {
    /** For subclasses. */
    protected LinksContract() {
    }

    private Links links() {
        return host().links();
    }

    private List<String> ifbNames() {
        return links().ifbs().stream().map(Link::name).toList();
    }

    @Test
    void findsAVifThatIsUpAndNotAnIfb() {
        fixture().addVif(VIF);
        Link vif = links().find(VIF).orElseThrow();
        assertEquals(VIF, vif.name());
        assertTrue(vif.up());
        assertFalse(vif.isIfb());
        assertTrue(vif.index() > 0, "ifindex is positive");
    }

    @Test
    void findsNothingForAnUnknownName() {
        assertEquals(Optional.empty(), links().find(MISSING));
    }

    @Test
    void listsIfbsByKindSortedByNameAndDown() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB2);
        fixture().addIfb(IFB);
        List<String> names = ifbNames();
        assertTrue(names.containsAll(List.of(IFB, IFB2)), names::toString);
        assertFalse(names.contains(VIF), names::toString);
        assertEquals(names.stream().sorted().toList(), names, "sorted by name");
        Link ifb = links().find(IFB).orElseThrow();
        assertTrue(ifb.isIfb());
        assertFalse(ifb.up());
    }

    @Test
    void listsEveryLinkSortedByNameWithTheSameViewAsFind() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        List<Link> all = links().all();
        List<String> names = all.stream().map(Link::name).toList();
        assertTrue(names.containsAll(List.of(VIF, IFB)), names::toString);
        assertEquals(names.stream().sorted().toList(), names, "sorted by name");
        assertEquals(links().find(VIF).orElseThrow(), all.get(names.indexOf(VIF)));
        assertEquals(links().find(IFB).orElseThrow(), all.get(names.indexOf(IFB)));
    }

    @Test
    void createsAnIfbThatIsDownWithItsOwnIndex() {
        fixture().addIfb(IFB);
        links().createIfb(IFB2);
        Link created = links().find(IFB2).orElseThrow();
        assertTrue(created.isIfb());
        assertFalse(created.up());
        assertNotEquals(links().find(IFB).orElseThrow().index(), created.index());
        assertTrue(ifbNames().contains(IFB2));
    }

    @Test
    void refusesToCreateAnIfbWhoseNameIsTaken() {
        fixture().addIfb(IFB);
        assertRefused(() -> links().createIfb(IFB), EEXIST);
        fixture().addVif(VIF);
        assertRefused(() -> links().createIfb(VIF), EEXIST);
    }

    @Test
    void setsLinksUpAndDown() {
        fixture().addIfb(IFB);
        links().setUp(IFB, true);
        assertTrue(links().find(IFB).orElseThrow().up());
        links().setUp(IFB, true);
        assertTrue(links().find(IFB).orElseThrow().up(), "setting up twice is harmless");
        links().setUp(IFB, false);
        assertFalse(links().find(IFB).orElseThrow().up());
    }

    @Test
    void refusesToSetAnUnknownLinkUp() {
        assertRefused(() -> links().setUp(MISSING, true), ENODEV);
    }

    @Test
    void deletesAnIfb() {
        fixture().addIfb(IFB);
        links().setUp(IFB, true);
        links().deleteIfb(IFB);
        assertEquals(Optional.empty(), links().find(IFB));
        assertFalse(ifbNames().contains(IFB));
    }

    @Test
    void refusesToDeleteAnUnknownIfb() {
        assertRefused(() -> links().deleteIfb(MISSING), ENODEV);
    }

    @Test
    void setsTheIpv6AddressGenerationModeAndReportsThePreviousOne() {
        fixture().addIfb(IFB);
        assertEquals(Optional.of(Ipv6AddrGenMode.EUI64), links().setIpv6AddrGenMode(IFB, Ipv6AddrGenMode.NONE),
                "a new device has the kernel's default");
        assertEquals(Optional.of(Ipv6AddrGenMode.NONE), links().setIpv6AddrGenMode(IFB, Ipv6AddrGenMode.NONE),
                "setting the mode it has changes nothing");
        assertEquals(Optional.of(Ipv6AddrGenMode.NONE), links().setIpv6AddrGenMode(IFB, Ipv6AddrGenMode.RANDOM));
        assertEquals(Optional.of(Ipv6AddrGenMode.RANDOM), links().setIpv6AddrGenMode(IFB, Ipv6AddrGenMode.EUI64));
        links().setUp(IFB, true);
        assertEquals(Optional.of(Ipv6AddrGenMode.EUI64), links().setIpv6AddrGenMode(IFB, Ipv6AddrGenMode.NONE),
                "the mode can change while the device is up");
        assertTrue(links().find(IFB).orElseThrow().up());
    }

    @Test
    void refusesToSetTheIpv6ModeOfAnUnknownLink() {
        assertRefused(() -> links().setIpv6AddrGenMode(MISSING, Ipv6AddrGenMode.NONE), ENODEV);
    }
}
