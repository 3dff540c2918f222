package io.netbuf.testkit.internal;

import io.netbuf.spi.PlugAction;
import io.netbuf.testkit.PlugState;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A packet-level model of the kernel's plug qdisc ({@code net/sched/sch_plug.c}), statement for
 * statement: enqueue, dequeue, init and the four change actions, with the qdisc statistics the
 * kernel keeps ({@code qstats.backlog}, {@code qstats.drops}, {@code bstats}). Not thread-safe: the
 * owner serialises access (as the qdisc lock does in the kernel).
 *
 * <p>A purge (qdisc deleted, device down) empties the queue without counting drops and leaves the
 * private counters alone, as {@code qdisc_reset_queue} does; so after a purge
 * {@code pkts_to_release} may still let later packets out.
 *
 * @param <P> the packet type
 */
public final class PlugQdisc<P> {
    private final ToIntFunction<P> length;
    private final Deque<P> queue = new ArrayDeque<>();

    private long limit;
    private boolean throttled;
    private boolean unplugIndefinite;
    private long pktsToRelease;
    private long pktsLastEpoch;
    private long pktsCurrentEpoch;

    private long backlogBytes;
    private long drops;
    private long sentBytes;
    private long sentPackets;

    /**
     * {@code plug_init}: every counter 0, throttled, limit from the options.
     *
     * @param limit the byte limit (0..4294967295)
     * @param length the length the kernel counts for a packet ({@code skb->len})
     */
    public PlugQdisc(long limit, ToIntFunction<P> length) {
        checkLimit(limit);
        this.length = length;
        this.limit = limit;
        this.throttled = true;
    }

    /**
     * {@code plug_enqueue}: queues the packet when it fits under the limit, else drops it.
     *
     * @param packet the packet
     * @return true when queued, false when dropped
     */
    public boolean enqueue(P packet) {
        int len = length.applyAsInt(packet);
        if (backlogBytes + len <= limit) {
            if (!unplugIndefinite) {
                pktsCurrentEpoch++;
            }
            queue.addLast(packet);
            backlogBytes += len;
            return true;
        }
        drops++;
        return false;
    }

    /**
     * {@code plug_dequeue}: the next packet the device may send, or null. Like the kernel, a
     * dequeue on an empty queue still consumes one of {@code pkts_to_release}.
     *
     * @return the packet, or null
     */
    public P dequeue() {
        if (throttled) {
            return null;
        }
        if (!unplugIndefinite) {
            if (pktsToRelease == 0) {
                throttled = true;
                return null;
            }
            pktsToRelease--;
        }
        P packet = queue.pollFirst();
        if (packet != null) {
            int len = length.applyAsInt(packet);
            backlogBytes -= len;
            sentBytes += len;
            sentPackets++;
        }
        return packet;
    }

    /**
     * {@code plug_change}: applies an action.
     *
     * @param action the action
     * @return true when the kernel would schedule the device to dequeue (the release actions)
     */
    public boolean change(PlugAction action) {
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                pktsLastEpoch = pktsCurrentEpoch;
                pktsCurrentEpoch = 0;
                if (unplugIndefinite) {
                    throttled = true;
                }
                unplugIndefinite = false;
                return false;
            case PlugAction.RELEASE_ONE_CODE:
                pktsToRelease += pktsLastEpoch;
                pktsLastEpoch = 0;
                throttled = false;
                return true;
            case PlugAction.RELEASE_INDEFINITE_CODE:
                unplugIndefinite = true;
                pktsToRelease = 0;
                pktsLastEpoch = 0;
                pktsCurrentEpoch = 0;
                throttled = false;
                return true;
            default:
                checkLimit(action.limit());
                limit = action.limit();
                return false;
        }
    }

    /**
     * Empties the queue (device down or qdisc deleted) without counting drops.
     *
     * @return what was queued, in order
     */
    public List<P> purge() {
        List<P> purged = new ArrayList<>(queue);
        queue.clear();
        backlogBytes = 0;
        return purged;
    }

    /** @return bytes queued */
    public long backlogBytes() {
        return backlogBytes;
    }

    /** @return packets queued */
    public long backlogPackets() {
        return queue.size();
    }

    /** @return packets dropped over the limit */
    public long drops() {
        return drops;
    }

    /** @return bytes dequeued */
    public long sentBytes() {
        return sentBytes;
    }

    /** @return packets dequeued */
    public long sentPackets() {
        return sentPackets;
    }

    /** @return a copy of the private state */
    public PlugState state() {
        return new PlugState(limit, throttled, unplugIndefinite, pktsToRelease, pktsLastEpoch, pktsCurrentEpoch,
                backlogBytes, queue.size());
    }

    private static void checkLimit(long limit) {
        if (limit < 0 || limit > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("plug limit must fit in a __u32: " + limit);
        }
    }
}
