package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.Protocols;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Compatibility kit for {@link TrafficControl} without the plug qdisc (which {@link PlugContract}
 * covers): kernel default qdiscs, the ingress qdisc, the redirect filter, listing and deleting
 * one ingress filter.
 */
public abstract class TrafficControlContract extends PortContract {
    /** For subclasses. */
    protected TrafficControlContract() {
    }

    private TrafficControl tc() {
        return host().trafficControl();
    }

    private List<Qdisc> roots(String dev) {
        return tc().qdiscs(dev).stream().filter(q -> q.parent() == TrafficControl.ROOT).toList();
    }

    private List<Qdisc> ingress(String dev) {
        return tc().qdiscs(dev).stream().filter(q -> q.parent() == TrafficControl.INGRESS).toList();
    }

    @Test
    void aNewIfbHasNoExplicitQdisc() {
        fixture().addIfb(IFB);
        assertTrue(tc().qdiscs(IFB).stream().noneMatch(Qdisc::isExplicit), () -> tc().qdiscs(IFB).toString());
    }

    @Test
    void anIfbThatWentUpHasAKernelDefaultRootWithHandleZero() {
        fixture().addIfb(IFB);
        host().links().setUp(IFB, true);
        List<Qdisc> roots = roots(IFB);
        assertEquals(1, roots.size(), roots::toString);
        assertFalse(roots.get(0).isExplicit());
        assertFalse(roots.get(0).kind().isEmpty());
        host().links().setUp(IFB, false);
        assertTrue(tc().qdiscs(IFB).stream().noneMatch(Qdisc::isExplicit));
    }

    @Test
    void listsEveryInterfacesQdiscsInOneListingAsEachOnesListingDoes() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        host().links().setUp(IFB, true);
        tc().addIngress(VIF);
        try {
            Map<String, List<Qdisc>> all = tc().allQdiscs();
            assertTrue(all.getOrDefault(VIF, List.of()).stream().anyMatch(q -> q.parent() == TrafficControl.INGRESS),
                    () -> "the vif's ingress qdisc: " + all);
            assertEquals(1, all.getOrDefault(IFB, List.of()).stream().filter(q -> q.parent() == TrafficControl.ROOT)
                    .count(), () -> "the IFB's default root: " + all);
            for (Map.Entry<String, List<Qdisc>> e : all.entrySet()) {
                assertEquals(shapes(tc().qdiscs(e.getKey())), shapes(e.getValue()), e.getKey());
            }
        } finally {
            tc().deleteIngress(VIF);
            host().links().setUp(IFB, false);
        }
        assertTrue(tc().allQdiscs().getOrDefault(VIF, List.of()).stream().noneMatch(Qdisc::isExplicit));
    }

    /** @return kind, handle and parent of each qdisc: what two listings agree on (counters move). */
    private static List<String> shapes(List<Qdisc> qdiscs) {
        return qdiscs.stream().map(q -> q.kind() + " " + Integer.toHexString(q.handle()) + " "
                + Integer.toHexString(q.parent())).toList();
    }

    @Test
    void refusesToListQdiscsOfAnUnknownDevice() {
        assertRefused(() -> tc().qdiscs(MISSING), ENODEV);
    }

    @Test
    void addsTheIngressQdisc() {
        fixture().addVif(VIF);
        tc().addIngress(VIF);
        List<Qdisc> ingress = ingress(VIF);
        assertEquals(1, ingress.size(), ingress::toString);
        Qdisc q = ingress.get(0);
        assertEquals("ingress", q.kind());
        assertEquals(0xFFFF0000, q.handle());
        assertTrue(q.isExplicit());
    }

    @Test
    void refusesASecondIngressQdisc() {
        fixture().addVif(VIF);
        tc().addIngress(VIF);
        assertRefused(() -> tc().addIngress(VIF), EEXIST);
        assertEquals(1, ingress(VIF).size());
    }

    @Test
    void refusesAnIngressQdiscOnAnUnknownDevice() {
        assertRefused(() -> tc().addIngress(MISSING), ENODEV);
    }

    @Test
    void deletesTheIngressQdiscWithItsFilters() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        tc().addIngress(VIF);
        tc().addRedirect(VIF, IFB, Protocols.ALL);
        tc().deleteIngress(VIF);
        assertEquals(List.of(), ingress(VIF));
        assertEquals(List.of(), tc().redirectTargets(VIF));
    }

    @Test
    void refusesToDeleteAnIngressQdiscThatIsNotThere() {
        fixture().addVif(VIF);
        assertRefused(() -> tc().deleteIngress(VIF), ENOENT, EINVAL);
        tc().addIngress(VIF);
        tc().deleteIngress(VIF);
        assertRefused(() -> tc().deleteIngress(VIF), ENOENT, EINVAL);
    }

    @Test
    void redirectsAllProtocolsToAnIfb() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        tc().addIngress(VIF);
        assertEquals(List.of(), tc().redirectTargets(VIF));
        tc().addRedirect(VIF, IFB, Protocols.ALL);
        assertEquals(List.of(IFB), tc().redirectTargets(VIF));
        assertEquals(List.of(), tc().redirectTargets(IFB), "the IFB itself has no filter");
    }

    @Test
    void redirectsIpv4OnlyToAnIfb() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        tc().addIngress(VIF);
        tc().addRedirect(VIF, IFB, Protocols.IPV4_ONLY);
        assertEquals(List.of(IFB), tc().redirectTargets(VIF));
    }

    @Test
    void refusesARedirectWithoutTheIngressQdisc() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        assertRefused(() -> tc().addRedirect(VIF, IFB, Protocols.ALL), EINVAL);
    }

    @Test
    void refusesARedirectToAnUnknownDevice() {
        fixture().addVif(VIF);
        tc().addIngress(VIF);
        assertRefused(() -> tc().addRedirect(VIF, MISSING, Protocols.ALL), ENODEV);
        assertEquals(List.of(), tc().redirectTargets(VIF));
    }

    @Test
    void listsNetbufsRedirectAsItsExactFilter() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        assertEquals(List.of(), tc().ingressFilters(VIF), "no ingress qdisc: no filters");
        tc().addIngress(VIF);
        assertEquals(List.of(), tc().ingressFilters(VIF));
        tc().addRedirect(VIF, IFB, Protocols.ALL);
        List<IngressFilter> filters = tc().ingressFilters(VIF);
        assertEquals(1, filters.size(), filters::toString);
        IngressFilter f = filters.get(0);
        assertTrue(f.isNetbufRedirectTo(IFB), f::toString);
        assertEquals(IngressFilter.NETBUF_PRIO, f.prio());
        assertEquals(IngressFilter.ETH_P_ALL, f.protocol());
        assertEquals("u32", f.kind());
        assertEquals(0, f.chain());
        assertTrue(f.handle() != 0, f::toString);
    }

    @Test
    void listsAnIpv4OnlyRedirectWithItsProtocol() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        tc().addIngress(VIF);
        tc().addRedirect(VIF, IFB, Protocols.IPV4_ONLY);
        List<IngressFilter> filters = tc().ingressFilters(VIF);
        assertEquals(1, filters.size(), filters::toString);
        assertEquals(IngressFilter.ETH_P_IP, filters.get(0).protocol());
        assertTrue(filters.get(0).isNetbufRedirectTo(IFB));
    }

    @Test
    void deletesExactlyOneFilterAndKeepsTheIngressQdisc() {
        fixture().addVif(VIF);
        fixture().addIfb(IFB);
        tc().addIngress(VIF);
        tc().addRedirect(VIF, IFB, Protocols.ALL);
        IngressFilter f = tc().ingressFilters(VIF).get(0);
        tc().deleteIngressFilter(VIF, f);
        assertEquals(List.of(), tc().ingressFilters(VIF));
        assertEquals(List.of(), tc().redirectTargets(VIF));
        assertEquals(1, ingress(VIF).size(), "the ingress qdisc stays");
        assertRefused(() -> tc().deleteIngressFilter(VIF, f), ENOENT, EINVAL);
    }

    @Test
    void refusesToListFiltersOfAnUnknownDevice() {
        assertRefused(() -> tc().ingressFilters(MISSING), ENODEV);
    }

    @Test
    void refusesToDeleteADefaultRoot() {
        fixture().addIfb(IFB);
        assertRefused(() -> tc().deleteRoot(IFB), ENOENT);
        host().links().setUp(IFB, true);
        assertRefused(() -> tc().deleteRoot(IFB), ENOENT);
    }
}
