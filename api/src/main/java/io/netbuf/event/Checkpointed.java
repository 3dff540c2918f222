package io.netbuf.event;

import java.time.Duration;
import java.time.Instant;

/**
 * A checkpoint closed an epoch (plug BUFFER).
 *
 * @param buffer the buffer
 * @param time when the kernel accepted it
 * @param epoch the number of the epoch it closed: 1 for the first checkpoint of a handle, then one more each time
 * @param callLatency how long the plug call took
 */
public record Checkpointed(BufferId buffer, Instant time, long epoch, Duration callLatency) implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onCheckpoint(this);
    }
}
