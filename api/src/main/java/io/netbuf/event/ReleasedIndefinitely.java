package io.netbuf.event;

import java.time.Duration;
import java.time.Instant;

/**
 * The buffer was released indefinitely (plug RELEASE_INDEFINITE, failover): traffic passes until the
 * next checkpoint.
 *
 * @param buffer the buffer
 * @param time when the kernel accepted it
 * @param epoch the number of the last epoch closed before (0 if none); any held output left with it
 * @param callLatency how long the plug call took
 */
public record ReleasedIndefinitely(BufferId buffer, Instant time, long epoch, Duration callLatency)
        implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onReleaseIndefinitely(this);
    }
}
