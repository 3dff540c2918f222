package io.netbuf.event;

import java.time.Instant;

/**
 * Something that happened to a buffer. Every event is an immutable record; a
 * {@link BufferListener} receives each kind through its own method.
 */
public sealed interface BufferEvent permits Attached, Checkpointed, Committed, ReleasedIndefinitely, LimitChanged,
        Dropped, Closed, Failed {
    /** @return the buffer the event concerns */
    BufferId buffer();

    /** @return when it happened (wall clock) */
    Instant time();

    /**
     * Hands this event to the listener method of its kind.
     *
     * @param listener the listener
     */
    void deliverTo(BufferListener listener);
}
