package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The leak check on XenStore judges what real xenstored leaves: a write creates the missing
 * parents of its node, and the code that wrote the node removes only the node, so the parents stay
 * on a real host too (libxl removes {@code /libxl/<domid>} when the domain goes). Such parents are
 * not leaks; every node written and left behind still is.
 */
class XenstoreLeakCheckTest {
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    private final FakeHost host = FakeHost.create();

    @Test
    void parentsAWriteCreatedAreNotLeaksOnceTheWrittenNodesAreRemoved() {
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.xenstore().write(XENBUS + "/hotplug-status", "connected");
        host.xenstore().rm(XENBUS + "/ifb");
        host.xenstore().rm(XENBUS + "/hotplug-status");
        host.assertClean();
    }

    @Test
    void parentsAWriteInATransactionCreatedAreNotLeaksEither() {
        host.xenstore().transaction(ops -> {
            ops.write(XENBUS + "/ifb", "ifb0");
            return null;
        });
        host.xenstore().rm(XENBUS + "/ifb");
        host.assertClean();
    }

    @Test
    void writtenNodesLeftBehindAreLeaksNamedWithoutTheirImplicitParents() {
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.xenstore().write(XENBUS + "/hotplug-status", "connected");
        assertEquals(List.of("added: xenstore " + XENBUS + "/hotplug-status = connected",
                "added: xenstore " + XENBUS + "/ifb = ifb0"), host.leaks());
    }

    @Test
    void aNodeWrittenOrMadeOnPurposeIsALeakEvenWhenEmpty() {
        host.xenstore().write("/libxl/5/written", "");
        host.xenstore().mkdir("/libxl/6/made");
        host.xenstore().write(XENBUS + "/ifb", "ifb0");
        host.xenstore().rm(XENBUS + "/ifb");
        host.xenstore().write("/libxl/5/remus", "");
        assertEquals(List.of("added: xenstore /libxl/5/remus = ",
                "added: xenstore /libxl/5/written = ",
                "added: xenstore /libxl/6/made = "), host.leaks());
    }

    @Test
    void removingANodeThatWasThereIsStillALeak() {
        host.withXenstore("/local/domain/5/name", "guest5");
        host.xenstore().rm("/local/domain/5");
        assertEquals(List.of("removed: xenstore /local/domain/5 (was )",
                "removed: xenstore /local/domain/5/name (was guest5)"), host.leaks());
    }
}
