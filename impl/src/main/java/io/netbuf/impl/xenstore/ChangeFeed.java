package io.netbuf.impl.xenstore;

/**
 * A XenStore backend that reports changes in order with its replies: every change committed before
 * xenstored handled a request has been passed to the listener by the time that request's reply is
 * returned. A caller can therefore keep a cache of a subtree and know, after any round trip, exactly
 * which parts of it are stale.
 */
public interface ChangeFeed {
    /**
     * Watches {@code path} and passes each change at or under it to {@code listener}. The listener
     * is called once at once with {@code path} itself (xenstored's initial event), and
     * {@link ChangeListener#missed()} whenever changes may have been lost.
     *
     * @param path an absolute path
     * @param listener receives the changes
     * @return the watch; closing it stops the feed
     */
    XenstoreClient.Watch track(String path, ChangeListener listener);

    /** Receives a tracked subtree's changes. */
    interface ChangeListener {
        /**
         * A change at {@code path}. Runs on the connection's reader thread before any later reply
         * is delivered: it must be quick and must not call XenStore.
         *
         * @param path the changed node (the tracked path itself when an ancestor was removed)
         */
        void changed(String path);

        /** Changes may have been lost (the connection dropped): everything cached is suspect. */
        void missed();
    }
}
