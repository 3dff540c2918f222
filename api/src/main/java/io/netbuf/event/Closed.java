package io.netbuf.event;

import java.time.Instant;

/**
 * The buffer was torn down by {@code close()}; no event of its handle follows.
 *
 * @param buffer the buffer
 * @param time when the teardown finished
 * @param epochs how many epochs its handle closed
 */
public record Closed(BufferId buffer, Instant time, long epochs) implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onClose(this);
    }
}
