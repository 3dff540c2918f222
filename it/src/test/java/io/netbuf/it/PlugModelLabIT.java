package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.BufferStats;
import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps the testkit honest: one scenario of sends, checkpoints, commits, releases and limit
 * changes runs on {@link FakeHost} (whose plug is a model of {@code sch_plug}) and on the lab's real
 * kernel, and after every step both must have delivered the same packets in the same order and
 * report the same plug counters (backlog packets and bytes, drops).
 */
class PlugModelLabIT {
    /** One step of the scenario. */
    private sealed interface Step permits Send, Action, Limit {
    }

    /** The guest sends datagram {@code id} in a frame of {@code length} bytes. */
    private record Send(int id, boolean ipv6, int length) implements Step {
    }

    /** A buffer operation. */
    private enum Action implements Step { CHECKPOINT, COMMIT, RELEASE_INDEFINITELY }

    /** A new byte limit. */
    private record Limit(long bytes) implements Step {
    }

    /** What is seen after a step. */
    private record Observation(Step step, List<Integer> delivered, long backlogPackets, long backlogBytes,
            long drops) {
    }

    private static final List<Step> SCENARIO = List.of(
            new Send(1, false, 200), new Send(2, true, 300), new Send(3, false, 150),
            Action.CHECKPOINT,
            new Send(4, true, 400), new Send(5, false, 500),
            new Limit(1500),
            new Send(6, false, 100),
            Action.COMMIT,
            new Send(7, false, 600), new Send(8, true, 100),
            Action.CHECKPOINT,
            new Send(9, false, 100),
            Action.COMMIT,
            new Send(10, false, 100),
            Action.RELEASE_INDEFINITELY,
            new Send(11, true, 200),
            new Limit(10_000_000),
            Action.CHECKPOINT,
            new Send(12, false, 200),
            Action.COMMIT,
            Action.CHECKPOINT,
            new Send(13, true, 1200),
            Action.COMMIT,
            new Send(14, false, 200), new Send(15, true, 250),
            Action.CHECKPOINT,
            Action.COMMIT);

    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    @Test
    void theFakeHostsPlugDeliversAndDropsWhatTheKernelsDoes() throws InterruptedException {
        List<Observation> model = onFakeHost();
        List<Observation> kernel = onKernel(model);
        for (int i = 0; i < SCENARIO.size(); i++) {
            assertEquals(model.get(i), kernel.get(i), "after step " + (i + 1) + " " + SCENARIO.get(i));
        }
        // The scenario exercises what it should: drops over the limit, and a packet that never arrives.
        Observation last = model.get(model.size() - 1);
        assertEquals(3, last.drops(), "6, 8 and 9 exceed the limit");
        assertEquals(List.of(1, 2, 3, 4, 5, 7, 10, 11, 12, 13, 14, 15), last.delivered());
    }

    private static List<Observation> onFakeHost() {
        FakeHost host = FakeHost.create().withVif(VIF).withIfbs(1);
        List<Observation> out = new ArrayList<>();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            for (Step step : SCENARIO) {
                if (step instanceof Send send) {
                    host.guest(VIF).send(send.ipv6() ? Frame.ipv6(send.id(), send.length())
                            : Frame.ipv4(send.id(), send.length()));
                } else {
                    apply(buffer, step);
                }
                List<Integer> delivered = host.delivered(VIF).stream().map(f -> (int) f.id()).toList();
                out.add(observe(step, delivered, buffer.stats()));
            }
        }
        host.assertClean();
        return out;
    }

    /** Runs the scenario on the kernel, waiting after each step for as many arrivals as the model saw. */
    private static List<Observation> onKernel(List<Observation> model) throws InterruptedException {
        List<Observation> out = new ArrayList<>();
        try (LabDomain domain = LabDomain.create(1); SystemHost host = domain.host(SystemHost.Backend.NATIVE);
                NetworkBuffer buffer = NetworkBuffer.forVif(VIF).on(host).attach()) {
            List<Integer> delivered = new ArrayList<>();
            int expected = 0;
            for (int i = 0; i < SCENARIO.size(); i++) {
                Step step = SCENARIO.get(i);
                if (step instanceof Send send) {
                    domain.send(send.id(), send.ipv6(), send.length());
                } else {
                    apply(buffer, step);
                }
                int now = model.get(i).delivered().size();
                delivered.addAll(domain.arrived(now - expected));
                expected = now;
                out.add(observe(step, List.copyOf(delivered), buffer.stats()));
            }
        }
        return out;
    }

    private static void apply(NetworkBuffer buffer, Step step) {
        if (step instanceof Limit limit) {
            buffer.changeLimit(limit.bytes());
        } else if (step == Action.CHECKPOINT) {
            buffer.checkpoint();
        } else if (step == Action.COMMIT) {
            buffer.commit();
        } else {
            buffer.releaseIndefinitely();
        }
    }

    private static Observation observe(Step step, List<Integer> delivered, BufferStats stats) {
        return new Observation(step, delivered, stats.backlogPackets(), stats.backlogBytes(), stats.drops());
    }
}
