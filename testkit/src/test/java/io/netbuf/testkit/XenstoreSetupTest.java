package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.XenstoreException;
import io.netbuf.spi.ChangeFeed;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Set-up removals of XenStore nodes: a domain dying, a node removed by another process. */
class XenstoreSetupTest {
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(1)
            .withXenstore("/local/domain/0/name", "Domain-0")
            .withXenstore("/local/domain/5/name", "guest5")
            .withXenstore(XENBUS, "");

    @Test
    void aDomainDiesWithoutALeakOrAPortOperation() {
        host.removeDomain(5);
        assertFalse(host.fakeXenstore().exists("/local/domain/5"));
        assertFalse(host.fakeXenstore().exists("/libxl/5"));
        assertTrue(host.fakeXenstore().exists("/local/domain/0/name"));
        assertEquals(List.of(), host.calls());
        host.assertClean();
    }

    @Test
    void whatTheCodeUnderTestWroteInTheDomainGoesWithIt() {
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.xenstore().write(XENBUS + "/hotplug-status", "connected");
        host.removeDomain(5);
        host.assertClean();
    }

    @Test
    void whatTheCodeUnderTestLeftOnTheKernelIsStillALeak() {
        host.trafficControl().addIngress("vif5.0");
        host.removeDomain(5);
        assertEquals(List.of("added: qdisc vif5.0 ingress = ingress"), host.leaks());
    }

    @Test
    void aDomainWithOnlyOneOfItsDirectoriesDiesToo() {
        host.withXenstore("/local/domain/7/name", "guest7");
        host.removeDomain(7);
        assertFalse(host.fakeXenstore().exists("/local/domain/7"));
        host.assertClean();
    }

    @Test
    void trackedListenersAndWatchesSeeTheDomainDie() {
        List<String> domains = new CopyOnWriteArrayList<>();
        List<String> claim = new CopyOnWriteArrayList<>();
        List<String> watched = new CopyOnWriteArrayList<>();
        try (ChangeFeed.Subscription a = host.changeFeed().orElseThrow().track("/local/domain", listener(domains));
                ChangeFeed.Subscription b = host.changeFeed().orElseThrow().track(XENBUS + "/ifb", listener(claim));
                FakeXenstore.WatchHandle c = host.fakeXenstore().watch("/libxl", "t",
                        (path, token) -> watched.add(path))) {
            host.removeDomain(5);
        }
        assertEquals(List.of("/local/domain", "/local/domain/5"), domains);
        assertEquals(List.of(XENBUS + "/ifb", XENBUS + "/ifb"), claim, "the tracked node's ancestor went");
        assertEquals(List.of("/libxl", "/libxl/5"), watched);
    }

    @Test
    void removeXenstoreRemovesASubtreeAndTellsListeners() {
        List<String> changes = new CopyOnWriteArrayList<>();
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        try (ChangeFeed.Subscription s = host.changeFeed().orElseThrow().track("/libxl", listener(changes))) {
            host.removeXenstore("/libxl/5/remus");
        }
        assertEquals(List.of("/libxl", "/libxl/5/remus"), changes);
        assertFalse(host.fakeXenstore().exists(XENBUS));
        assertTrue(host.fakeXenstore().exists("/libxl/5"));
        assertEquals(List.of(), host.calls().stream().filter(c -> !c.equals("xenstore.write")).toList());
        host.assertClean();
    }

    @Test
    void removingWhatIsNotThereOrCannotBeRemovedIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> host.removeDomain(9));
        assertThrows(IllegalArgumentException.class, () -> host.removeDomain(0));
        assertThrows(IllegalArgumentException.class, () -> host.removeDomain(-1));
        assertThrows(IllegalArgumentException.class, () -> host.removeDomain(0x7FF0));
        assertThrows(IllegalArgumentException.class, () -> host.removeXenstore("/nothing/here"));
        assertEquals("EINVAL", assertThrows(XenstoreException.class, () -> host.removeXenstore("/")).errno());
        assertEquals("EINVAL", assertThrows(XenstoreException.class, () -> host.removeXenstore("libxl")).errno());
        host.assertClean();
    }

    private static ChangeFeed.ChangeListener listener(List<String> into) {
        return new ChangeFeed.ChangeListener() {
            @Override
            public void changed(String path) {
                into.add(path);
            }

            @Override
            public void missed() {
                into.add("missed");
            }
        };
    }
}
