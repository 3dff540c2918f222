package io.netbuf.event;

import io.netbuf.NetworkBufferException;
import java.time.Instant;

/**
 * An action on the buffer failed; the same exception was thrown to the caller.
 *
 * @param buffer the buffer
 * @param time when
 * @param operation what failed: {@code checkpoint}, {@code commit}, {@code release_indefinitely},
 *     {@code limit} or {@code close}
 * @param failure the typed failure
 */
public record Failed(BufferId buffer, Instant time, String operation, NetworkBufferException failure)
        implements BufferEvent {
    @Override
    public void deliverTo(BufferListener listener) {
        listener.onFailure(this);
    }
}
