package io.netbuf;

import io.netbuf.event.BufferListener;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Several buffers (typically all vifs of one domain) driven as one: each call acts on every
 * member, in one batched request where the backend supports it. Closing the group closes every
 * member.
 *
 * <p>Every call first checks every member, so an action that is not allowed on one of them
 * ({@link IllegalStateException}) changes none. An action the kernel refuses for some members
 * is still applied to the others, so the members are then in different epoch states: the
 * {@link PlugFailedException} names the vifs that failed and the state of each member, which
 * {@link #epochStates()} also reports. To recover, either finish the action on the members that
 * missed it with {@link #resync(EpochState)} (e.g. {@code resync(CLOSED_EPOCH)} after a failed
 * checkpoint, while the guest is still suspended; {@code resync(OPEN)} after a failed commit), or
 * fail over with {@link #releaseIndefinitely()}, which is allowed in any mix of states.
 */
public interface BufferGroup extends AutoCloseable {
    /** @return the members, in the order given */
    List<NetworkBuffer> members();

    /**
     * @return each member's {@link NetworkBuffer#epochState()}, in the order of {@link #members()}
     */
    Map<NetworkBuffer, EpochState> epochStates();

    /**
     * @return the state every member is in, or empty when they differ (after a partly failed action)
     */
    Optional<EpochState> epochState();

    /**
     * What the kernel reports for every member's plug, read member by member.
     *
     * @return each member's counters and their sum
     * @throws IllegalStateException if a member is closed
     * @throws PlugFailedException if a member's plug cannot be read
     */
    GroupStats stats();

    /**
     * Registers a listener on every member ({@link NetworkBuffer#addListener(BufferListener)}).
     *
     * @param listener the listener
     * @return this
     * @throws InvalidConfigurationException if {@code listener} is null
     */
    BufferGroup addListener(BufferListener listener);

    /**
     * Closes the current epoch on every member. @see NetworkBuffer#checkpoint()
     *
     * @throws IllegalStateException if a member is closed or already has a closed epoch; nothing was sent
     * @throws PlugFailedException if the kernel refused some members (named in it); the others were applied
     */
    void checkpoint();

    /**
     * Releases the closed epoch on every member. @see NetworkBuffer#commit()
     *
     * @throws IllegalStateException if a member is closed or has no closed epoch; nothing was sent
     * @throws PlugFailedException if the kernel refused some members (named in it); the others were applied
     */
    void commit();

    /**
     * Stops buffering on every member (failover), whatever epoch state each is in; the way back
     * to one state for all after a partly failed action. @see NetworkBuffer#releaseIndefinitely()
     *
     * @throws IllegalStateException if a member is closed; nothing was sent
     * @throws PlugFailedException if the kernel refused some members (named in it); the others were applied
     */
    void releaseIndefinitely();

    /**
     * Brings every member to {@code target} by sending each only the action it misses: for
     * {@link EpochState#CLOSED_EPOCH} a checkpoint to the members that are {@code OPEN} or
     * {@code RELEASED_INDEFINITELY}; for {@link EpochState#OPEN} a commit to the members in
     * {@code CLOSED_EPOCH}; for {@link EpochState#RELEASED_INDEFINITELY} the same as
     * {@link #releaseIndefinitely()}. Members already in {@code target} are not touched; when all
     * are, nothing is sent.
     *
     * @param target the state every member should be in
     * @throws InvalidConfigurationException if {@code target} is null or {@code CLOSED} (use {@link #close()})
     * @throws IllegalStateException if a member is closed, or (target {@code OPEN}) is released
     *     indefinitely, which only a checkpoint and a commit bring back; nothing was sent
     * @throws PlugFailedException if the kernel refused some members (named in it); the others were applied
     */
    void resync(EpochState target);

    /** Tears down every member; idempotent. The first failure is thrown after all were tried. */
    @Override
    void close();
}
