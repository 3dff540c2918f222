package io.netbuf.cli;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo on the testkit's FakeHost: a simulated kernel with a packet-level plug qdisc behaving as
 * {@code sch_plug}, and a simulated XenStore. The guest sends a ping-sized IPv4 frame every
 * {@value #SEND_PERIOD_MS} ms; each frame's send time is kept so its delay can be measured when it
 * comes out of the buffer.
 */
final class SimulatedGuest implements DemoGuest {
    static final long SEND_PERIOD_MS = 10;
    private static final int FRAME_BYTES = 98;

    private final FakeHost host;
    private final String reason;
    private final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    private final AtomicLong sent = new AtomicLong();
    private ScheduledExecutorService sender;
    private LatencyRecorder latency;

    /** @param reason why the demo is simulated, for the description */
    SimulatedGuest(String reason) {
        this.reason = reason;
        this.host = FakeHost.create().withVif(VIF).withIfbs(2).withXenstore("/local/domain/" + DOMID + "/name",
                "demo-guest");
    }

    /** @return the simulated host (for tests) */
    FakeHost host() {
        return host;
    }

    @Override
    public String description() {
        return "simulated host (testkit FakeHost): " + reason;
    }

    @Override
    public NetworkBuffer attach() {
        return NetworkBuffer.forVif(VIF).xenbusPath(XENBUS_PATH).on(host).attach();
    }

    @Override
    public String xenstoreRead(String path) {
        return host.fakeXenstore().read(path).orElse(null);
    }

    @Override
    public void startTraffic(LatencyRecorder recorder) {
        this.latency = recorder;
        sender = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "demo-guest");
            t.setDaemon(true);
            return t;
        });
        sender.scheduleAtFixedRate(() -> {
            long now = System.nanoTime();
            Frame frame = host.guest(VIF).sendIpv4(FRAME_BYTES);
            sentAt.put(frame.id(), now);
            sent.incrementAndGet();
        }, 0, SEND_PERIOD_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void afterCommit() {
        long now = System.nanoTime();
        for (Frame frame : host.drainDelivered(VIF)) {
            Long sent = sentAt.remove(frame.id());
            if (sent != null) {
                latency.record((now - sent) / 1e6);
            }
        }
    }

    @Override
    public long sent() {
        return sent.get();
    }

    @Override
    public void close() {
        if (sender != null) {
            sender.shutdownNow();
            try {
                sender.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
