package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netbuf.LockTimeoutException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.RedirectFailedException;
import io.netbuf.XenstoreException;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * A failure injected at every single host operation of attach (and of close) leaves the host
 * clean and surfaces as the exception typed for that step, and the guest's traffic still flows.
 */
class RollbackTest {
    /** The host operations a successful attach (or close) performs, in order. */
    private static List<String> operationsOf(boolean withXenbus, boolean close) {
        FakeHost host = EngineFixtures.domain5(2);
        NetworkBuffer buffer = attach(host, withXenbus);
        if (close) {
            host.clearCalls();
            buffer.close();
        }
        List<String> calls = new ArrayList<>(host.calls());
        if (!close) {
            buffer.close();
        }
        return calls;
    }

    private static NetworkBuffer attach(FakeHost host, boolean withXenbus) {
        NetworkBuffer.Builder builder = NetworkBuffer.forVif(VIF).lockTimeout(Duration.ofSeconds(5)).on(host);
        if (withXenbus) {
            builder.xenbusPath(XENBUS);
        }
        return builder.attach();
    }

    /** The exception a realistic failure of each operation throws. */
    private static Supplier<RuntimeException> realistic(String operation) {
        if (operation.startsWith("xenstore.")) {
            return () -> new XenstoreException(operation, XENBUS, "EIO", "injected", null);
        }
        if (operation.equals("lock.acquire")) {
            return () -> new LockTimeoutException("pickifb", Duration.ofSeconds(5), VIF);
        }
        return () -> OperationFailedException.ofErrno(operation, 5, "injected EIO", VIF, null);
    }

    /** The type attach must throw when {@code operation} fails. */
    private static Class<? extends NetworkBufferException> expectedFor(String operation) {
        switch (operation) {
            case "links.setUp":
            case "links.setIpv6AddrGenMode":
            case "trafficControl.addIngress":
            case "trafficControl.addRedirect":
                return RedirectFailedException.class;
            case "trafficControl.addPlug":
                return PlugFailedException.class;
            case "lock.acquire":
                return LockTimeoutException.class;
            default:
                return operation.startsWith("xenstore.") ? XenstoreException.class : OperationFailedException.class;
        }
    }

    @TestFactory
    Stream<DynamicTest> attachFailingAtEveryStepLeavesTheHostClean() {
        return Stream.of(true, false).flatMap(withXenbus -> {
            List<String> ops = operationsOf(withXenbus, false);
            assertTrue(ops.size() >= 8, "attach performs the whole setup: " + ops);
            return IntStream.range(0, ops.size()).mapToObj(i -> DynamicTest.dynamicTest(
                    (withXenbus ? "with" : "without") + " xenbus: step " + (i + 1) + " " + ops.get(i),
                    () -> attachFailingAt(ops.get(i), occurrence(ops, i), withXenbus)));
        });
    }

    private static void attachFailingAt(String operation, int nth, boolean withXenbus) {
        FakeHost host = EngineFixtures.domain5(2);
        host.faults().failNth(operation, nth, realistic(operation));
        NetworkBufferException e = assertThrows(NetworkBufferException.class, () -> attach(host, withXenbus));
        host.faults().clear();
        assertInstanceOf(expectedFor(operation), e, "failing " + operation + " #" + nth + ": " + e);
        assertGuestConnected(host, "attach failed at " + operation);
        if (!withXenbus) {
            host.assertClean();
            return;
        }
        List<String> leaks = host.leaks();
        if (operation.startsWith("xenstore.") && leaks.isEmpty()) {
            return; // the error record itself could not be written: still nothing else left behind
        }
        assertTrue(leaks.stream().allMatch(l -> l.contains(XENBUS + "/hotplug-")),
                "only the hotplug error records may remain after failing " + operation + ": " + leaks);
        assertFalse(host.xenstore().exists(XENBUS + "/ifb"));
        assertEquals(Optional.of("error"), host.xenstore().read(XENBUS + "/hotplug-status"));
    }

    @TestFactory
    Stream<DynamicTest> closeFailingAtEveryStepThrowsAndARetryFinishesTheJob() {
        List<String> ops = operationsOf(true, true);
        assertTrue(ops.size() >= 5, "close performs the whole teardown: " + ops);
        return IntStream.range(0, ops.size()).mapToObj(i -> DynamicTest.dynamicTest(
                "step " + (i + 1) + " " + ops.get(i), () -> {
                    FakeHost host = EngineFixtures.domain5(2);
                    NetworkBuffer buffer = attach(host, true);
                    String op = ops.get(i);
                    host.faults().failNth(op, occurrence(ops, i), realistic(op));
                    try {
                        buffer.close();
                        fail("close did not report the failure of " + op);
                    } catch (NetworkBufferException expected) {
                        assertTrue(buffer.isClosed());
                    }
                    host.faults().clear();
                    assertGuestConnected(host, "close failed at " + op);
                    buffer.close();
                    host.assertClean();
                }));
    }

    /** The guest's next frame reaches the host: no redirect into a down or missing IFB is left. */
    private static void assertGuestConnected(FakeHost host, String when) {
        Frame frame = host.guest(VIF).sendIpv4(100);
        assertTrue(host.drainDelivered(VIF).contains(frame), "the guest is cut off after " + when + ": "
                + host.drops());
    }

    /** Which occurrence (1-based) of its operation the i-th call is. */
    private static int occurrence(List<String> ops, int i) {
        int n = 0;
        for (int j = 0; j <= i; j++) {
            if (ops.get(j).equals(ops.get(i))) {
                n++;
            }
        }
        return n;
    }
}
