package io.netbuf.micrometer;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.netbuf.BufferGroup;
import io.netbuf.BufferStats;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.NetworkBufferException;
import io.netbuf.event.BufferId;
import io.netbuf.event.BufferListener;
import io.netbuf.event.Checkpointed;
import io.netbuf.event.Closed;
import io.netbuf.event.Committed;
import io.netbuf.event.Dropped;
import io.netbuf.event.Failed;
import io.netbuf.event.LimitChanged;
import io.netbuf.event.ReleasedIndefinitely;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer metrics for netbuf buffers, every meter tagged {@code vif} and {@code domain} (the
 * guest's domain id, or {@code unknown}):
 * <ul>
 *   <li>{@code netbuf.backlog.bytes}, {@code netbuf.backlog.packets}: gauges, what each plug holds
 *       now (read from the kernel at each scrape through {@link NetworkBuffer#stats()}; for
 *       buffers given to {@link #monitor(NetworkBuffer)});</li>
 *   <li>{@code netbuf.epochs}: counter, epochs committed; {@code netbuf.released.bytes},
 *       {@code netbuf.released.packets}: counters, what the commits released (see
 *       {@link Committed}); {@code netbuf.epochs.unmeasured}: commits whose figures are unknown
 *       (the next commit came before the counters could be read, or they could not be read);</li>
 *   <li>{@code netbuf.drops}: counter of packets dropped, tagged {@code cause} ({@code over_limit},
 *       {@code purged});</li>
 *   <li>{@code netbuf.failures}: counter, tagged {@code operation};</li>
 *   <li>{@code netbuf.checkpoint.to.commit}: timer, how long each epoch was closed;</li>
 *   <li>{@code netbuf.plug.calls}: timer of the calls to the kernel, tagged {@code action}
 *       ({@code checkpoint}, {@code commit}, {@code release_indefinitely}, {@code limit}).</li>
 * </ul>
 *
 * <pre>{@code
 * NetbufMetrics metrics = new NetbufMetrics();
 * metrics.bindTo(registry);
 * NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").attach();
 * metrics.monitor(buffer);        // gauges + the counters and timers, from its events
 * }</pre>
 *
 * <p>It is a {@link BufferListener}: the counters and timers come from the buffer's events, so they
 * cost the checkpoint path nothing. A buffer's gauges are removed when it closes; its counters and
 * timers stay. Meters are made in every registry bound so far, when a buffer's first event arrives.
 * Thread-safe.
 */
public final class NetbufMetrics implements MeterBinder, BufferListener {
    private static final String PACKETS = "packets";
    private final Tags common;
    private final List<MeterRegistry> registries = new CopyOnWriteArrayList<>();
    private final Map<String, List<NetworkBuffer>> monitored = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> gauges = new ConcurrentHashMap<>();

    /** Metrics with the tags {@code vif} and {@code domain} only. */
    public NetbufMetrics() {
        this(Tags.empty());
    }

    /**
     * @param tags added to every meter (e.g. the host's name)
     */
    public NetbufMetrics(Iterable<Tag> tags) {
        this.common = Tags.of(tags);
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        if (registry == null) {
            throw InvalidConfigurationException.of("registry", null, "must not be null");
        }
        if (!registries.contains(registry)) {
            registries.add(registry);
            for (List<NetworkBuffer> buffers : monitored.values()) {
                buffers.forEach(b -> registerGauges(registry, b));
            }
        }
    }

    /**
     * Measures {@code buffer}: registers this as its listener and adds its backlog gauges.
     *
     * @param buffer an open buffer
     * @return this
     */
    public NetbufMetrics monitor(NetworkBuffer buffer) {
        if (buffer == null) {
            throw InvalidConfigurationException.of("buffer", null, "must not be null");
        }
        buffer.addListener(this);
        monitored.computeIfAbsent(buffer.vif(), v -> new CopyOnWriteArrayList<>()).add(buffer);
        for (MeterRegistry registry : registries) {
            registerGauges(registry, buffer);
        }
        return this;
    }

    /**
     * Measures every member of {@code group} ({@link #monitor(NetworkBuffer)}).
     *
     * @param group the group
     * @return this
     */
    public NetbufMetrics monitor(BufferGroup group) {
        group.members().forEach(this::monitor);
        return this;
    }

    @Override
    public void onCheckpoint(Checkpointed event) {
        call(event.buffer(), "checkpoint", event.callLatency());
    }

    @Override
    public void onCommit(Committed event) {
        BufferId id = event.buffer();
        call(id, "commit", event.callLatency());
        for (MeterRegistry r : registries) {
            Counter.builder("netbuf.epochs").description("epochs committed").tags(tags(id)).register(r).increment();
            if (!event.figuresKnown()) {
                Counter.builder("netbuf.epochs.unmeasured")
                        .description("epochs committed whose released figures could not be read").tags(tags(id))
                        .register(r).increment();
            } else {
                Counter.builder("netbuf.released.bytes").baseUnit(BaseUnits.BYTES)
                        .description("bytes the commits released").tags(tags(id)).register(r)
                        .increment(event.bytes());
                Counter.builder("netbuf.released.packets").baseUnit(PACKETS)
                        .description("packets the commits released").tags(tags(id)).register(r)
                        .increment(event.packets());
            }
            Timer.builder("netbuf.checkpoint.to.commit").description("how long each epoch was held")
                    .tags(tags(id)).register(r).record(event.checkpointToCommit());
        }
    }

    @Override
    public void onReleaseIndefinitely(ReleasedIndefinitely event) {
        call(event.buffer(), "release_indefinitely", event.callLatency());
    }

    @Override
    public void onLimitChange(LimitChanged event) {
        call(event.buffer(), "limit", event.callLatency());
    }

    @Override
    public void onDrop(Dropped event) {
        for (MeterRegistry r : registries) {
            Counter.builder("netbuf.drops").baseUnit(PACKETS).description("packets the plug dropped")
                    .tags(tags(event.buffer())).tag("cause", event.cause().name().toLowerCase(Locale.ROOT))
                    .register(r).increment(event.packets());
        }
    }

    @Override
    public void onFailure(Failed event) {
        for (MeterRegistry r : registries) {
            Counter.builder("netbuf.failures").description("actions that failed").tags(tags(event.buffer()))
                    .tag("operation", event.operation()).register(r).increment();
        }
    }

    @Override
    public void onClose(Closed event) {
        String vif = event.buffer().vif();
        List<NetworkBuffer> buffers = monitored.get(vif);
        if (buffers != null) {
            buffers.removeIf(NetworkBuffer::isClosed);
        }
        List<Meter> meters = gauges.remove(vif);
        if (meters != null) {
            for (Meter m : meters) {
                registries.forEach(r -> r.remove(m));
            }
        }
    }

    private void call(BufferId id, String action, Duration latency) {
        for (MeterRegistry r : registries) {
            Timer.builder("netbuf.plug.calls").description("calls to the kernel's plug qdisc").tags(tags(id))
                    .tag("action", action).register(r).record(latency);
        }
    }

    private void registerGauges(MeterRegistry registry, NetworkBuffer buffer) {
        BufferId id = BufferId.of(buffer.vif(), buffer.ifb(), buffer.xenbusPath().orElse(null));
        List<Meter> made = new ArrayList<>(2);
        made.add(gauge(registry, "netbuf.backlog.bytes", BaseUnits.BYTES, "bytes the plug holds", id, buffer,
                BufferStats::backlogBytes));
        made.add(gauge(registry, "netbuf.backlog.packets", PACKETS, "packets the plug holds", id, buffer,
                BufferStats::backlogPackets));
        gauges.computeIfAbsent(buffer.vif(), v -> new CopyOnWriteArrayList<>()).addAll(made);
    }

    private Gauge gauge(MeterRegistry registry, String name, String unit, String description, BufferId id,
            NetworkBuffer buffer, ToDoubleFunction<BufferStats> value) {
        return Gauge.builder(name, buffer, b -> read(b, value)).baseUnit(unit).description(description)
                .tags(tags(id)).register(registry);
    }

    /** @return the figure, or NaN when the buffer is closed or its plug cannot be read */
    private static double read(NetworkBuffer buffer, ToDoubleFunction<BufferStats> value) {
        if (buffer.isClosed()) {
            return Double.NaN;
        }
        try {
            return value.applyAsDouble(buffer.stats());
        } catch (NetworkBufferException | IllegalStateException e) {
            return Double.NaN;
        }
    }

    private Tags tags(BufferId id) {
        return common.and("vif", id.vif(), "domain", id.domainLabel());
    }
}
