package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static io.netbuf.it.LabDomain.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.ReapFinding;
import io.netbuf.ReapReport;
import io.netbuf.impl.host.SystemHost;
import java.io.BufferedReader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A controller JVM that attached a buffer with the real plug, closed an epoch and was then killed
 * (SIGKILL: no teardown ran), on the real kernel: the guest's output stays held, as after a
 * {@code xl remus} stopped by SIGTERM. {@code reap} finds the buffer orphaned (its recorded owner is
 * dead) and {@code apply} releases what was held, in order, then removes everything: the guest's
 * traffic flows at once, dom0 and XenStore are as before, and the next attach gets the IFB.
 */
class OrphanedBufferLabIT {
    private static final int SIZE = 100;

    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void aBufferWhoseControllerWasKilledIsFoundAndGivenBack(SystemHost.Backend backend) throws Exception {
        try (LabDomain domain = LabDomain.create(1)) {
            String before = KernelState.dump(domain.dom0);
            Map<String, String> recordsBefore = domain.xenbusRecords();
            Process child = ChildJvm.start(List.of("hold", backend.name(), domain.dom0.name(),
                    domain.lockDir.toString(), domain.xenstored.socketPath().toString(), VIF, XENBUS));
            try (BufferedReader out = ChildJvm.stdout(child)) {
                String line = CompletableFuture.supplyAsync(() -> {
                    try {
                        return out.readLine();
                    } catch (java.io.IOException e) {
                        return "read failed: " + e;
                    }
                }).get(120, TimeUnit.SECONDS);
                assertEquals("HELD ifb0", line);
                domain.send(1, false, SIZE);
                domain.send(2, true, SIZE);
                assertEquals(List.of(), domain.arrivedWhileHeld(), "the controller holds the guest's output");
            } finally {
                child.destroyForcibly(); // SIGKILL: no teardown
                assertTrue(child.waitFor(30, TimeUnit.SECONDS));
            }
            domain.send(3, false, SIZE);
            assertEquals(List.of(), domain.arrivedWhileHeld(), "after the kill the guest's network stays dead");

            try (SystemHost host = domain.host(backend)) {
                ReapReport report = NetworkBuffer.reap(host);
                assertEquals(1, report.findings().size(), report.toString());
                ReapFinding found = report.findings().get(0);
                assertEquals(ReapFinding.Kind.ORPHANED_BUFFER, found.kind());
                assertEquals(VIF, found.vif());
                assertEquals("ifb0", found.ifb());
                assertEquals(XENBUS, found.xenbusPath());
                assertTrue(found.owner().startsWith("pid=" + child.pid() + " "), found.owner());

                assertEquals(report.findings(), report.apply());
                assertEquals(List.of(1, 2, 3), domain.arrived(3), "what was held goes out, in order");
                long sent = System.nanoTime();
                domain.send(4, false, SIZE);
                assertEquals(List.of(4), domain.arrived(1));
                long millis = Duration.ofNanos(System.nanoTime() - sent).toMillis();
                assertTrue(millis < 1000, "the guest's traffic flows at once (" + millis + " ms)");
                KernelState.assertRestored(domain.dom0, before, "no qdisc, filter or IFB change left behind");
                assertEquals(recordsBefore, domain.xenbusRecords(), "no claim, owner or hotplug record left");
                assertTrue(NetworkBuffer.reap(host).isClean());
                try (NetworkBuffer next = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
                    assertEquals("ifb0", next.ifb(), "the next attach gets the IFB back");
                    assertEquals(String.valueOf(ProcessHandle.current().pid()),
                            domain.xenbusRecords().get(XENBUS + "/netbuf-owner").split("[ =]")[1],
                            "and records its own owner");
                }
            }
        }
    }
}
