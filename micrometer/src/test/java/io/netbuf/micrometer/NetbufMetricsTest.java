package io.netbuf.micrometer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netbuf.BufferGroup;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The binder's values against a SimpleMeterRegistry, with buffers driven on FakeHost. */
class NetbufMetricsTest {
    private static final String VIF = "vif5.0";
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void countersTimersAndGaugesFollowTheBuffer() throws InterruptedException {
        FakeHost host = FakeHost.create().withVif(VIF).withIfbs(1).withXenstore(XENBUS, "");
        NetbufMetrics metrics = new NetbufMetrics(Tags.of("host", "test"));
        metrics.bindTo(registry);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).limit(1_000).on(host).attach()) {
            assertSame(metrics, metrics.monitor(buffer));
            Tags tags = Tags.of("host", "test", "vif", VIF, "domain", "5");
            host.guest(VIF).sendIpv4(300);
            host.guest(VIF).sendIpv4(300);
            host.guest(VIF).sendIpv4(600); // over the limit
            assertEquals(2.0, registry.get("netbuf.backlog.packets").tags(tags).gauge().value());
            double held = registry.get("netbuf.backlog.bytes").tags(tags).gauge().value();
            buffer.checkpoint();
            buffer.commit();
            awaitEquals(1.0, () -> counter("netbuf.epochs", tags).count()); // a controller's pace: not faster
            buffer.checkpoint();
            buffer.commit();
            awaitEquals(2.0, () -> counter("netbuf.epochs", tags).count());
            assertNull(registry.find("netbuf.epochs.unmeasured").counter(), "every commit was measured");
            assertEquals(2.0, counter("netbuf.released.packets", tags).count());
            assertEquals(held, counter("netbuf.released.bytes", tags).count(), "what the plug held, released");
            assertEquals(1.0, registry.get("netbuf.drops").tags(tags).tag("cause", "over_limit").counter().count());
            Timer epochsHeld = registry.get("netbuf.checkpoint.to.commit").tags(tags).timer();
            assertEquals(2, epochsHeld.count());
            assertEquals(2, registry.get("netbuf.plug.calls").tags(tags).tag("action", "checkpoint").timer().count());
            assertEquals(2, registry.get("netbuf.plug.calls").tags(tags).tag("action", "commit").timer().count());
            assertTrue(registry.get("netbuf.plug.calls").tags(tags).tag("action", "commit").timer()
                    .totalTime(TimeUnit.NANOSECONDS) > 0);
            assertEquals(0.0, registry.get("netbuf.backlog.packets").tags(tags).gauge().value());

            host.faults().failOn("trafficControl.plug");
            assertThrows(RuntimeException.class, () -> buffer.changeLimit(5_000));
            host.faults().clear();
            awaitEquals(1.0, () -> registry.get("netbuf.failures").tags(tags).tag("operation", "limit").counter()
                    .count());
            host.guest(VIF).sendIpv4(100);
        }
        Tags tags = Tags.of("vif", VIF, "domain", "5");
        awaitEquals(1.0, () -> registry.get("netbuf.drops").tags(tags).tag("cause", "purged").counter().count());
        awaitEquals(0, () -> registry.find("netbuf.backlog.packets").gauges().size());
        assertEquals(2.0, counter("netbuf.epochs", tags).count(), "counters stay after close");
        host.assertClean();
    }

    @Test
    void aGroupIsMeasuredMemberByMemberAndARegistryBoundLaterGetsTheGauges() throws InterruptedException {
        FakeHost host = FakeHost.create().withVif("vif7.0").withVif("vif7.1").withIfbs(2);
        NetbufMetrics metrics = new NetbufMetrics();
        try (BufferGroup group = NetworkBuffer.group(List.of(NetworkBuffer.forVif("vif7.0").on(host).attach(),
                NetworkBuffer.forVif("vif7.1").on(host).attach()))) {
            metrics.monitor(group);
            metrics.bindTo(registry);
            assertEquals(2, registry.find("netbuf.backlog.bytes").gauges().size());
            host.guest("vif7.1").sendIpv4(100);
            assertEquals(1.0, registry.get("netbuf.backlog.packets").tag("vif", "vif7.1").gauge().value());
            group.checkpoint();
            group.commit();
            awaitEquals(1.0, () -> counter("netbuf.released.packets", Tags.of("vif", "vif7.1", "domain", "7")).count());
            awaitEquals(1.0, () -> counter("netbuf.epochs", Tags.of("vif", "vif7.0", "domain", "7")).count());
            assertEquals(0.0, counter("netbuf.released.packets", Tags.of("vif", "vif7.0", "domain", "7")).count());
        }
        host.assertClean();
    }

    @Test
    void nullsAreRefused() {
        NetbufMetrics metrics = new NetbufMetrics();
        assertThrows(InvalidConfigurationException.class, () -> metrics.bindTo(null));
        assertThrows(InvalidConfigurationException.class, () -> metrics.monitor((NetworkBuffer) null));
        assertNull(registry.find("netbuf.epochs").counter());
    }

    private Counter counter(String name, Tags tags) {
        return registry.get(name).tags(tags).counter();
    }

    /** Events arrive asynchronously: waits up to 10 s for {@code actual} to reach {@code expected}. */
    private static void awaitEquals(double expected, Supplier<Number> actual) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            double now;
            try {
                now = actual.get().doubleValue();
            } catch (io.micrometer.core.instrument.search.MeterNotFoundException e) {
                now = Double.NaN;
            }
            if (now == expected || System.nanoTime() > deadline) {
                assertEquals(expected, now);
                return;
            }
            Thread.sleep(5);
        }
    }
}
