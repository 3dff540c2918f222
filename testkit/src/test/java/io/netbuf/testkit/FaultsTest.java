package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingToolException;
import io.netbuf.OperationFailedException;
import io.netbuf.XenstoreException;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Links;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
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
    }

    @Test
    void everyPortMethodHasAnOperationName() {
        Set<String> expected = new TreeSet<>(portMethods().keySet());
        assertEquals(expected, new TreeSet<>(FakeHost.operations()));
    }

    @Test
    void everyPortMethodIsLoggedUnderItsOwnName() throws IllegalAccessException {
        Map<String, Object> ports = Map.of("links", host.links(), "trafficControl", host.trafficControl(),
                "xenstore", host.xenstore(), "lock", host.lock(), "features", host.features());
        for (Map.Entry<String, Method> e : portMethods().entrySet()) {
            Method method = e.getValue();
            Object[] args = Arrays.stream(method.getParameterTypes()).map(FaultsTest::sample).toArray();
            host.clearCalls();
            try {
                method.invoke(ports.get(e.getKey().substring(0, e.getKey().indexOf('.'))), args);
            } catch (InvocationTargetException refused) {
                // a refused call is logged like any other
            }
            assertEquals(e.getKey(), host.calls().get(0), method::toString);
        }
    }

    /** @return every abstract method of the host ports, by its operation name {@code "<port>.<method>"} */
    private static Map<String, Method> portMethods() {
        Map<String, Class<?>> ports = Map.of("links", Links.class, "trafficControl", TrafficControl.class,
                "xenstore", Xenstore.class, "lock", HostLock.class, "features", KernelFeatures.class);
        Map<String, Method> out = new TreeMap<>();
        ports.forEach((port, type) -> {
            for (Method m : type.getMethods()) {
                if (!m.isDefault() && !Modifier.isStatic(m.getModifiers())) {
                    out.put(port + "." + m.getName(), m);
                }
            }
        });
        return out;
    }

    /** @return a valid argument of a port method parameter type */
    private static Object sample(Class<?> type) {
        if (type.isEnum()) {
            return type.getEnumConstants()[0];
        }
        Map<Class<?>, Object> samples = Map.of(String.class, "ifb0", long.class, 1L, boolean.class, true,
                List.class, List.of("ifb0"), Set.class, Set.of(), Duration.class, Duration.ZERO,
                PlugAction.class, PlugAction.BUFFER, Function.class, Function.identity(), IngressFilter.class,
                new IngressFilter("u32", 10, IngressFilter.ETH_P_ALL, 0, 0x80000800, "ifb0", true));
        return Optional.ofNullable(samples.get(type)).orElseThrow(() -> new AssertionError("no sample " + type));
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
