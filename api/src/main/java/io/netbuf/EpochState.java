package io.netbuf;

/**
 * Where a buffer's plug stands, as its handle last saw the kernel accept an action. Read it with
 * {@link NetworkBuffer#epochState()}, or for every member of a group with
 * {@link BufferGroup#epochStates()}; a group action that fails part-way leaves its members in
 * different states, which {@link BufferGroup#resync(EpochState)} brings back in step.
 */
public enum EpochState {
    /** Output is held in the current epoch; no closed epoch awaits release (after attach, adopt or commit). */
    OPEN,
    /** A checkpoint closed an epoch that has not been committed yet; the next call must be a commit. */
    CLOSED_EPOCH,
    /** Released indefinitely: traffic passes until the next checkpoint. */
    RELEASED_INDEFINITELY,
    /** The handle was closed: the buffer is torn down (or being torn down) and accepts no action. */
    CLOSED
}
