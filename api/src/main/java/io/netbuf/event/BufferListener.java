package io.netbuf.event;

/**
 * Told what happens to buffers: register one with
 * {@link io.netbuf.NetworkBuffer.Builder#listener(BufferListener)} (to see the attach too),
 * {@link io.netbuf.NetworkBuffer#addListener(BufferListener)} or
 * {@link io.netbuf.BufferGroup#addListener(BufferListener)}. Every method does nothing unless
 * overridden.
 *
 * <p>Delivery is asynchronous and never holds up the buffer: the calling thread only queues the
 * event (a bounded queue per buffer), and a netbuf thread delivers each buffer's events in order,
 * a few milliseconds later. A listener that throws is logged (once per listener and event kind)
 * and keeps receiving events; one that blocks delays only its own buffers' events, and when a
 * buffer's queue is full newer events are dropped and counted in a warning. So a listener may
 * take its time, but must be thread-safe if shared between buffers.
 */
public interface BufferListener {
    /** @param event a buffer was attached or adopted */
    default void onAttach(Attached event) {
    }

    /** @param event a checkpoint closed an epoch */
    default void onCheckpoint(Checkpointed event) {
    }

    /** @param event a commit released an epoch */
    default void onCommit(Committed event) {
    }

    /** @param event the buffer was released indefinitely */
    default void onReleaseIndefinitely(ReleasedIndefinitely event) {
    }

    /** @param event the plug's limit changed */
    default void onLimitChange(LimitChanged event) {
    }

    /** @param event the plug dropped output */
    default void onDrop(Dropped event) {
    }

    /** @param event the buffer was torn down */
    default void onClose(Closed event) {
    }

    /** @param event an action failed */
    default void onFailure(Failed event) {
    }
}
