package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.reliability.Resources;
import io.netbuf.spi.BasicHost;
import io.netbuf.testkit.FakeXenstore;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A buffer checkpointed and committed 100,000 times through the native backend in a namespace.
 * This kernel has no sch_plug, so the plug is the {@link PlugStandIn}: each checkpoint and commit
 * is a real rtnetlink change of the IFB's root pfifo (the same message path as a plug action).
 * The process's open file descriptors and heap after GC must stay where they were once warm.
 */
class LongRunIT {
    private static final int ROUNDS = 100_000;

    @TempDir
    Path lockDir;

    @Test
    void hundredThousandNativeCheckpointsLeakNoDescriptorAndNoMemory() throws Exception {
        try (Netns ns = Netns.create("nblong")) {
            ns.ip("link", "add", "ifb0", "type", "ifb");
            ns.ip("link", "add", "vif5.0", "type", "veth", "peer", "name", "guest0");
            ns.ip("link", "set", "vif5.0", "up");
            FakeXenstore store = new FakeXenstore();
            store.write("/local/domain/5/name", "guest5");
            try (SystemHost system = ComposedHost.system(SystemHost.Backend.NATIVE, ns.name(), lockDir)) {
                BasicHost host = ComposedHost.of(system, store, true, ns.name());
                long fdsWarm = 0;
                long heapWarm = 0;
                try (NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").xenbusPath("/libxl/5/remus/netbuf/0")
                        .on(host).attach()) {
                    for (int i = 1; i <= ROUNDS; i++) {
                        buffer.checkpoint();
                        buffer.commit();
                        if (i == ROUNDS / 10) {
                            fdsWarm = Resources.openFds();
                            heapWarm = Resources.heapAfterGc();
                        }
                    }
                    assertEquals(0, buffer.stats().drops());
                }
                long fdsEnd = Resources.openFds();
                long heapEnd = Resources.heapAfterGc();
                System.out.printf("long run (native, stand-in plug): %d rounds, fds %d -> %d, heap %d -> %d bytes%n",
                        ROUNDS, fdsWarm, fdsEnd, heapWarm, heapEnd);
                assertEquals(fdsWarm, fdsEnd, "open file descriptors");
                assertTrue(heapEnd - heapWarm < 4L << 20, "heap grew from " + heapWarm + " to " + heapEnd);
                assertTrue(NetworkBuffer.reap(host).isClean());
            }
        }
    }
}
