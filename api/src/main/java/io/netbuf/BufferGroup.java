package io.netbuf;

import java.util.List;

/**
 * Several buffers (typically all vifs of one domain) driven as one: each call acts on every
 * member, in one batched request where the backend supports it. Closing the group closes every
 * member.
 */
public interface BufferGroup extends AutoCloseable {
    /** @return the members, in the order given */
    List<NetworkBuffer> members();

    /** Closes the current epoch on every member. @see NetworkBuffer#checkpoint() */
    void checkpoint();

    /** Releases the closed epoch on every member. @see NetworkBuffer#commit() */
    void commit();

    /** Stops buffering on every member (failover). @see NetworkBuffer#releaseIndefinitely() */
    void releaseIndefinitely();

    /** Tears down every member; idempotent. The first failure is thrown after all were tried. */
    @Override
    void close();
}
