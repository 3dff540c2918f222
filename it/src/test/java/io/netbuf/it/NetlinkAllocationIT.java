package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.RootQdiscRequests;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The checkpoint/commit path of the native backend allocates nothing per call in steady state.
 * This kernel has no sch_plug, so the measured call is the plug action's stand-in: the same
 * batched {@code RTM_NEWQDISC} change (REQUEST|ACK, parent root, no CREATE) on a {@code pfifo}
 * root, through the same code path as {@code plug()}.
 */
class NetlinkAllocationIT {
    private static final int WARM_UP_CALLS = 30_000;
    private static final int MEASURED_CALLS = 10_000;

    @RegisterExtension
    final NetlinkNamespace kernel = new NetlinkNamespace("nballoc");
    private Netns ns;
    private NetlinkTrafficControl tc;

    @BeforeEach
    void setUp() {
        ns = kernel.netns();
        tc = kernel.tc();
    }

    @ParameterizedTest(name = "{0} IFB(s) per call")
    @ValueSource(ints = {1, 16})
    void batchedRootQdiscChangeAllocatesNothingPerCall(int ifbCount) {
        List<String> ifbs = new ArrayList<>();
        for (int i = 0; i < ifbCount; i++) {
            String ifb = "ifb" + i;
            ns.ip("link", "add", ifb, "type", "ifb");
            ns.tc("qdisc", "add", "dev", ifb, "root", "handle", "1:", "pfifo", "limit", "100");
            ifbs.add(ifb);
        }
        List<String> group = List.copyOf(ifbs);
        int[] limit = {1000};
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        for (int i = 0; i < WARM_UP_CALLS; i++) {
            RootQdiscRequests.of(tc).change(group, "pfifo", limit);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < MEASURED_CALLS; i++) {
            RootQdiscRequests.of(tc).change(group, "pfifo", limit);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertTrue(allocated < MEASURED_CALLS, "the smallest object is 16 bytes, so less than one byte per call "
                + "means no call allocated; measured " + allocated + " bytes over " + MEASURED_CALLS + " calls");
        assertTrue(ns.tc("qdisc", "show", "dev", "ifb0").contains("limit 1000p"), "the change reached the kernel");
    }
}
