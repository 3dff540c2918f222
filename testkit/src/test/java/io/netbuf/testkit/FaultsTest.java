package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingToolException;
import io.netbuf.OperationFailedException;
import io.netbuf.XenstoreException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FaultsTest {
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(1);

    @Test
    void theNthCallOfAnyOperationFailsOnceAndChangesNothing() {
        host.faults().failNth(2);
        host.links().ifbs();
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> host.links().createIfb("ifb7"));
        assertEquals("links.createIfb", e.operation());
        assertEquals("injected fault", e.detail());
        assertTrue(host.links().find("ifb7").isEmpty(), "an injected failure happens before the change");
        host.links().createIfb("ifb7");
        assertEquals(List.of("links.ifbs", "links.createIfb", "links.find", "links.createIfb"), host.calls());
    }

    @Test
    void everyCallOfOneOperationFails() {
        host.faults().failOn("links.setUp");
        assertThrows(OperationFailedException.class, () -> host.links().setUp("ifb0", true));
        assertThrows(OperationFailedException.class, () -> host.links().setUp("ifb0", true));
        host.trafficControl().addIngress("vif5.0");
        host.faults().clear();
        host.links().setUp("ifb0", true);
        assertTrue(host.links().find("ifb0").orElseThrow().up());
    }

    @Test
    void theNthCallOfOneOperationFailsWithTheChosenException() {
        IllegalStateException boom = new IllegalStateException("boom");
        host.faults().failNth("xenstore.write", 2, () -> boom);
        host.xenstore().write("/a", "1");
        host.xenstore().read("/a");
        assertSame(boom, assertThrows(IllegalStateException.class, () -> host.xenstore().write("/b", "2")));
        host.xenstore().write("/c", "3");
        assertFalse(host.fakeXenstore().snapshot().containsKey("/b"));
        Call failed = host.callLog().get(2);
        assertEquals(new Call("xenstore.write", List.of("/b", "2"), "IllegalStateException: boom"), failed);
    }

    @Test
    void xenstoreFaultsAreXenstoreExceptions() {
        host.faults().failOn("xenstore.read");
        XenstoreException e = assertThrows(XenstoreException.class, () -> host.xenstore().read("/local"));
        assertEquals("EIO", e.errno());
        assertEquals("/local", e.path().orElseThrow());
    }

    @Test
    void operationsInsideATransactionAreCountedAndAFaultAbortsIt() {
        host.faults().failNth("xenstore.write", 2);
        assertThrows(XenstoreException.class, () -> host.xenstore().transaction(ops -> {
            ops.write("/x/ifb", "ifb0");
            ops.write("/x/status", "connected");
            return null;
        }));
        assertFalse(host.fakeXenstore().snapshot().containsKey("/x/ifb"), "the transaction was not committed");
        assertEquals(List.of("xenstore.transaction", "xenstore.write", "xenstore.write"), host.calls());
        assertTrue(host.callLog().get(0).failed());
    }

    @Test
    void theLockAndFeaturesCanFailToo() {
        host.faults().failOn("lock.acquire").failOn("features.missing");
        assertThrows(OperationFailedException.class, () -> host.lock().acquire("pickifb", Duration.ofSeconds(1)));
        assertThrows(OperationFailedException.class, () -> host.features().missing(Set.of()));
        assertEquals(Set.of(), host.heldLocks().keySet());
    }

    @Test
    void unknownOperationsAndBadCountsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> host.faults().failOn("links.create"));
        assertThrows(IllegalArgumentException.class, () -> host.faults().failNth(0));
        assertTrue(FakeHost.operations().contains("trafficControl.addPlug"));
        assertEquals(25, FakeHost.operations().size());
    }

    @Test
    void missingToolsFailTheirOperationsOnly() {
        host.withoutTool("ip");
        MissingToolException e = assertThrows(MissingToolException.class, () -> host.links().ifbs());
        assertEquals("ip", e.tool());
        host.trafficControl().addIngress("vif5.0");
        host.withoutTool("xenstore");
        assertEquals("xenstore-rm",
                assertThrows(MissingToolException.class, () -> host.xenstore().rm("/a")).tool());
        assertEquals("xenstore-utils",
                assertThrows(MissingToolException.class, () -> host.xenstore().mkdir("/a")).debianPackage());
        host.withTool("xenstore").withTool("ip");
        host.xenstore().mkdir("/a");
        assertEquals(1, host.links().ifbs().size());
        assertThrows(IllegalArgumentException.class, () -> host.withoutTool("ifconfig"));
    }
}
