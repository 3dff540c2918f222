package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.Xenstore;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit for the {@link ChangeFeed} port. Every check is made as soon as a request
 * returns, without waiting: that is the ordering contract (a change committed before a request was
 * handled has reached the listener when that request's reply is returned). xenstored sends the
 * initial event after acknowledging the watch, so it is checked after a further request. Extend it and return
 * a backend over an empty store from {@link #xenstore()} and that store's feed from
 * {@link #changeFeed()}.
 */
public abstract class ChangeFeedContract {
    /** @return the backend under test, over a store holding only {@code /} */
    protected abstract Xenstore xenstore();

    /** @return the changes of {@link #xenstore()}'s store, ordered with its replies */
    protected abstract ChangeFeed changeFeed();

    /** The listener hears the tracked path first, then each change at or under it, in order. */
    @Test
    public void initialEventThenEachChangeInOrder() {
        Recorder recorder = new Recorder();
        try (ChangeFeed.Subscription subscription = changeFeed().track("/libxl", recorder)) {
            assertEquals("/libxl", subscription.path());
            xenstore().exists("/");
            assertEquals(List.of("/libxl"), recorder.changes);
            xenstore().write("/libxl/1/remus/netbuf/0/ifb", "ifb0");
            assertEquals(List.of("/libxl", "/libxl/1/remus/netbuf/0/ifb"), recorder.changes);
            xenstore().write("/libxl/2/name", "b");
            xenstore().rm("/libxl/1/remus/netbuf/0/ifb");
            assertEquals(List.of("/libxl", "/libxl/1/remus/netbuf/0/ifb", "/libxl/2/name",
                    "/libxl/1/remus/netbuf/0/ifb"), recorder.changes);
        }
    }

    /** Changes outside the tracked subtree, siblings with the same prefix included, are not reported. */
    @Test
    public void changesOutsideTheSubtreeAreNotReported() {
        Recorder recorder = new Recorder();
        try (ChangeFeed.Subscription subscription = changeFeed().track("/libxl", recorder)) {
            xenstore().write("/local/domain/1/name", "guest1");
            xenstore().write("/libxlother/1", "a sibling whose name starts alike");
            assertEquals(List.of("/libxl"), recorder.changes);
        }
    }

    /** Removing an ancestor of the tracked path reports the tracked path itself. */
    @Test
    public void removingAnAncestorReportsTheTrackedPath() {
        xenstore().write("/libxl/1/remus/netbuf/0/ifb", "ifb0");
        Recorder recorder = new Recorder();
        try (ChangeFeed.Subscription subscription = changeFeed().track("/libxl/1/remus", recorder)) {
            xenstore().rm("/libxl/1");
            assertEquals(List.of("/libxl/1/remus", "/libxl/1/remus"), recorder.changes);
        }
    }

    /** A transaction's changes are reported when it commits, not before; an aborted one reports nothing. */
    @Test
    public void aTransactionIsReportedWhenItCommits() {
        Recorder recorder = new Recorder();
        try (ChangeFeed.Subscription subscription = changeFeed().track("/libxl", recorder)) {
            xenstore().transaction(ops -> {
                ops.write("/libxl/3/b", "1");
                ops.write("/libxl/3/a", "2");
                ops.read("/libxl/3/a");
                assertEquals(List.of("/libxl"), recorder.changes, "nothing before the commit");
                return null;
            });
            assertTrue(recorder.changes.containsAll(Set.of("/libxl/3/a", "/libxl/3/b")), recorder.changes.toString());

            recorder.changes.clear();
            IllegalStateException boom = new IllegalStateException("abort");
            assertEquals(boom, assertThrows(IllegalStateException.class, () -> xenstore().transaction(ops -> {
                ops.write("/libxl/4", "never");
                throw boom;
            })));
            xenstore().read("/libxl");
            assertEquals(List.of(), recorder.changes, "an aborted transaction changed nothing");
        }
    }

    /** Closing the subscription stops the feed; closing twice is harmless. */
    @Test
    public void closingStopsTheFeed() {
        Recorder recorder = new Recorder();
        ChangeFeed.Subscription subscription = changeFeed().track("/libxl", recorder);
        xenstore().exists("/");
        subscription.close();
        subscription.close();
        xenstore().write("/libxl/1", "after close");
        assertEquals(List.of("/libxl"), recorder.changes);
    }

    /** Records the changes from any thread, and {@code "missed"} when told that changes were lost. */
    private static final class Recorder implements ChangeFeed.ChangeListener {
        final List<String> changes = new CopyOnWriteArrayList<>();

        @Override
        public void changed(String path) {
            changes.add(path);
        }

        @Override
        public void missed() {
            changes.add("missed");
        }
    }
}
