package io.netbuf.event;

import java.time.Duration;
import java.time.Instant;

/**
 * The plug's byte limit was changed (plug LIMIT).
 *
 * @param buffer the buffer
 * @param time when the kernel accepted it
 * @param previousBytes the limit before
 * @param limitBytes the limit now
 * @param callLatency how long the plug call took
 */
public record LimitChanged(BufferId buffer, Instant time, long previousBytes, long limitBytes, Duration callLatency)
        implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onLimitChange(this);
    }
}
