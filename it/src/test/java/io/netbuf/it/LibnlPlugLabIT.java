package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static io.netbuf.it.LabDomain.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferStats;
import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.tools.PlugTool;
import io.netbuf.testkit.compat.HostFixture;
import io.netbuf.testkit.compat.PlugContract;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The tools backend with the plug driven by libnl's {@code nl-qdisc-add} ({@link PlugTool#LIBNL})
 * on the lab's kernel, which has {@code sch_plug}: the compatibility kit's plug contract, the whole
 * buffer with real traffic (held from the very first packet: the limit is set when the plug is
 * created, never a limit-0 plug that drops everything), and the module-path defect of Debian's
 * {@code libnl-utils} reported and rolled back. Test environment only: the module is linked into
 * place inside the lab's throwaway overlay ({@link LibnlPlugModule}).
 */
class LibnlPlugLabIT {
    private static final int SMALL = 100;
    private static final int LARGE = 1400;
    private static boolean linkedBefore;

    @BeforeAll
    static void requireLabAndLibnl() {
        Lab.require();
        Requirements.require(LibnlPlugModule.toolInstalled(), "nl-qdisc-add (package libnl-utils)");
        linkedBefore = LibnlPlugModule.loadable();
        LibnlPlugModule.link(true);
    }

    @AfterAll
    static void restoreModuleLink() {
        LibnlPlugModule.link(linkedBefore);
    }

    @Nested
    class Kit extends PlugContract {
        @Override
        protected HostFixture createFixture() {
            return new ToolsHostFixture(PlugTool.LIBNL);
        }

        @Override
        protected void plugMissing() {
            Requirements.require(false, "the plug qdisc through " + host().description());
        }
    }

    @Test
    void holdsFromTheFirstPacketReleasesByEpochAndLeavesNothingBehind() throws InterruptedException {
        try (LabDomain domain = LabDomain.create(1);
                SystemHost host = domain.host(SystemHost.Backend.TOOLS, PlugTool.LIBNL)) {
            assertTrue(host.description().contains("nl-qdisc-add"), host.description());
            String before = KernelState.dump(domain.dom0);
            Map<String, String> recordsBefore = domain.xenbusRecords();
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            try {
                domain.send(1, false, SMALL);
                domain.send(2, true, SMALL);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "held from the start");
                BufferStats stats = buffer.stats();
                assertEquals(0, stats.drops(), "a plug created with limit 0 would have dropped them");
                assertEquals(2, stats.backlogPackets());

                buffer.checkpoint();
                domain.send(3, false, SMALL);
                buffer.commit();
                assertEquals(List.of(1, 2), domain.arrived(2), "exactly the closed epoch, in order");

                buffer.releaseIndefinitely();
                assertEquals(List.of(3), domain.arrived(1), "released indefinitely: the rest drains");
                buffer.checkpoint();
                buffer.changeLimit(1000);
                domain.send(4, false, LARGE);
                domain.send(5, true, SMALL);
                assertEquals(1, buffer.stats().drops(), "over the new limit: dropped");
                assertEquals(1, buffer.stats().backlogPackets());
                buffer.commit();
                assertEquals(List.of(), domain.arrivedWhileHeld(), "the epoch closed while released was empty");
                buffer.checkpoint();
                buffer.commit();
                assertEquals(List.of(5), domain.arrived(1));
            } finally {
                buffer.close();
            }
            KernelState.assertRestored(domain.dom0, before, "no qdisc, filter or IFB change left behind");
            assertEquals(recordsBefore, domain.xenbusRecords(), "no claim or hotplug record left behind");
        }
    }

    @Test
    void anUnloadablePlugModuleFailsTypedAndIsRolledBack() throws InterruptedException {
        try (LabDomain domain = LabDomain.create(1);
                SystemHost host = domain.host(SystemHost.Backend.TOOLS, PlugTool.LIBNL)) {
            String before = KernelState.dump(domain.dom0);
            PlugFailedException e;
            LibnlPlugModule.link(false);
            try {
                e = assertThrows(PlugFailedException.class,
                        () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());
            } finally {
                LibnlPlugModule.link(true);
            }
            OperationFailedException cause = assertInstanceOf(OperationFailedException.class, e.getCause());
            assertTrue(cause.detail().contains("cannot load libnl's plug module"), cause.detail());
            assertTrue(e.getMessage().contains("ln -s libnl-3 "), e.getMessage());
            assertFalse(e.getMessage().contains("modprobe"), "the kernel is not the cause: " + e.getMessage());
            KernelState.assertRestored(domain.dom0, before, "attach must leave the namespace exactly as before");
            Map<String, String> records = domain.xenbusRecords();
            assertFalse(records.containsKey(XENBUS + "/ifb"), "the claim is freed: " + records);
            assertEquals("error", records.get(XENBUS + "/hotplug-status"));
        }
    }
}
