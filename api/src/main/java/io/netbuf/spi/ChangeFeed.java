package io.netbuf.spi;

/**
 * Port: the changes of a XenStore database, reported in order with its replies. A host offers one
 * through {@link Host#changeFeed()}; the engine then keeps a cache of other domains' IFB claims
 * instead of reading them all at every pick.
 *
 * <p>The ordering contract: every change committed before xenstored handled a request has reached
 * the listener by the time that request's reply is returned by the host's {@link Xenstore} port. A
 * caller can therefore keep a cache of a subtree and know, after any round trip, exactly which parts
 * of it are stale. A change made in a transaction is reported when the transaction commits, never
 * when it aborts.
 */
public interface ChangeFeed {
    /**
     * Tracks {@code path} and passes each change at or under it to {@code listener}. The listener is
     * called first with {@code path} itself (xenstored's initial event, at the latest before the
     * reply to the next request is returned), then with the changed node's path for every change at
     * or under {@code path}, in the order the changes were committed, and with {@code path} itself
     * when an ancestor of it is removed.
     * {@link ChangeListener#missed()} is called whenever changes may have been lost.
     *
     * @param path an absolute path
     * @param listener receives the changes
     * @return the subscription; closing it stops the feed
     * @throws io.netbuf.XenstoreException when the path is invalid or the store cannot be reached
     */
    Subscription track(String path, ChangeListener listener);

    /** Receives a tracked subtree's changes. */
    interface ChangeListener {
        /**
         * A change at {@code path}. May run on a thread of the backend while it delivers replies or
         * holds its own lock: it must be quick and must not call XenStore.
         *
         * @param path the changed node (the tracked path itself when an ancestor was removed)
         */
        void changed(String path);

        /** Changes may have been lost (e.g. the connection to xenstored dropped): everything cached is suspect. */
        void missed();
    }

    /** A tracked path; closing it stops its changes reaching the listener. */
    interface Subscription extends AutoCloseable {
        /** @return the tracked path */
        String path();

        /** Stops the feed; idempotent. */
        @Override
        void close();
    }
}
