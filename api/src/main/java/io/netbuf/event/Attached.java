package io.netbuf.event;

import java.time.Instant;

/**
 * A buffer was attached, or adopted from an earlier run.
 *
 * @param buffer the buffer
 * @param time when
 * @param limitBytes the plug's byte limit
 * @param adopted true when taken over by {@code adopt()}, false when installed by {@code attach()}
 */
public record Attached(BufferId buffer, Instant time, long limitBytes, boolean adopted) implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onAttach(this);
    }
}
