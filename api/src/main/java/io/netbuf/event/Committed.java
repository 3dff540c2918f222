package io.netbuf.event;

import java.time.Duration;
import java.time.Instant;

/**
 * A commit released the closed epoch (plug RELEASE_ONE), with what it released.
 *
 * <p>The figures come from the kernel: the plug qdisc's sent counters (packets and bytes it has
 * dequeued), read once right after the commit was acknowledged, minus the same counters read after
 * the previous commit (or after attach, adopt, or the checkpoint that ended a release-indefinitely).
 * While an epoch is held nothing else leaves the plug, so that difference is what this commit let
 * out. The kernel dequeues a released epoch in its transmit softirq, which normally runs before the
 * acknowledgement reaches netbuf; a packet it had not sent yet at the read is counted in the next
 * commit's figures, never lost and never counted twice. When the counters could not be read,
 * {@link #packets()} and {@link #bytes()} are -1 (the commit itself succeeded).
 *
 * @param buffer the buffer
 * @param time when the kernel accepted it
 * @param epoch the number of the epoch released (the one its checkpoint closed)
 * @param packets packets released, or -1 when unknown
 * @param bytes bytes released, or -1 when unknown
 * @param checkpointToCommit how long the epoch was closed: from its checkpoint's acknowledgement to this one's
 * @param callLatency how long the plug call took
 */
public record Committed(BufferId buffer, Instant time, long epoch, long packets, long bytes,
        Duration checkpointToCommit, Duration callLatency) implements BufferEvent {
    /** @return true when the released figures were read from the kernel */
    public boolean figuresKnown() {
        return packets >= 0 && bytes >= 0;
    }

    @Override
    public void deliverTo(BufferListener listener) {
        listener.onCommit(this);
    }
}
