package io.netbuf.event;

import java.time.Duration;
import java.time.Instant;

/**
 * A commit released the closed epoch (plug RELEASE_ONE), with what it released.
 *
 * <p>The figures come from the kernel: the plug qdisc's sent counters (packets and bytes it has
 * dequeued), read after this commit and before the next one, minus the same counters read after
 * the previous commit (or at attach or adopt, or at the checkpoint that ended a
 * release-indefinitely). While an epoch is held nothing else leaves the plug, so that difference is
 * what this commit let out. The read is never made on the caller's thread by the commit itself:
 * a listener's event is completed on netbuf's event thread (about a millisecond later), and
 * {@link io.netbuf.NetworkBuffer#lastCommit()} reads when it is called (while a Flight Recorder
 * recording runs, the commit reads at once, for its {@code io.netbuf.Commit} event). A packet the kernel had
 * not dequeued yet at the read is counted by the next commit, never lost and never twice. When the
 * counters could not be read, or the previous commit was never read (the next commit came first:
 * commits closer together than about a millisecond, with nobody calling {@code lastCommit()}),
 * {@link #packets()} and {@link #bytes()} are -1; the commit itself succeeded.
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
