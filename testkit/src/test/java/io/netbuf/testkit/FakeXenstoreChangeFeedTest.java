package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.XenstoreException;
import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.compat.ChangeFeedContract;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * FakeXenstore as a {@link ChangeFeed}: the kit every feed passes, and what only the fake promises
 * (exact order within a transaction, synchronous delivery, a failing listener, its watch count).
 */
class FakeXenstoreChangeFeedTest extends ChangeFeedContract {
    private final FakeXenstore store = new FakeXenstore();
    private final Recorder recorder = new Recorder();

    @Override
    protected Xenstore xenstore() {
        return store;
    }

    @Override
    protected ChangeFeed changeFeed() {
        return store;
    }

    @Test
    void everyKindOfChangeIsReported() {
        store.write("/libxl/1/a", "before");
        try (ChangeFeed.Subscription subscription = store.track("/libxl", recorder)) {
            assertEquals("/libxl", subscription.path());
            store.write("/libxl/1/a", "x");
            store.mkdir("/libxl/2");
            store.write("/libxl", "self");
            store.setPerms(0, "/libxl/1", List.of("n0", "r1"));
            store.rm("/libxl/1/a");
            assertEquals(List.of("/libxl", "/libxl/1/a", "/libxl/2", "/libxl", "/libxl/1", "/libxl/1/a"),
                    recorder.changes);
        }
    }

    @Test
    void aTransactionsChangesAreReportedWhenItCommitsInTheOrderItMadeThem() {
        store.track("/libxl", recorder);
        recorder.changes.clear();
        int tx = store.transactionStart();
        store.write(tx, "/libxl/3/b", "1");
        store.write(tx, "/libxl/3/a", "2");
        store.rm(tx, "/libxl/3/b");
        assertEquals(List.of(), recorder.changes, "nothing before the commit");
        store.transactionEnd(tx, true);
        assertEquals(List.of("/libxl/3/b", "/libxl/3/a", "/libxl/3/b"), recorder.changes);

        recorder.changes.clear();
        int aborted = store.transactionStart();
        store.write(aborted, "/libxl/4", "never");
        store.transactionEnd(aborted, false);
        assertEquals(List.of(), recorder.changes, "an aborted transaction changed nothing");
    }

    @Test
    void aSubscriptionIsAWatchUntilClosed() {
        ChangeFeed.Subscription subscription = store.track("/libxl", recorder);
        assertEquals(1, store.watchCount());
        subscription.close();
        assertEquals(0, store.watchCount());
    }

    @Test
    void aFailingListenerDoesNotFailTheWriterAndNothingIsEverMissed() {
        List<String> seen = new ArrayList<>();
        store.track("/libxl", new ChangeFeed.ChangeListener() {
            @Override
            public void changed(String path) {
                seen.add(path);
                throw new IllegalStateException("listener bug");
            }

            @Override
            public void missed() {
                seen.add("missed");
            }
        });
        store.write("/libxl/1", "v");
        store.write("/libxl/2", "w");
        assertEquals(Optional.of("w"), store.read("/libxl/2"));
        assertEquals(List.of("/libxl", "/libxl/1", "/libxl/2"), seen);
    }

    @Test
    void badPathsAreRefused() {
        assertEquals("EINVAL", assertThrows(XenstoreException.class, () -> store.track("libxl", recorder)).errno());
        assertEquals("EINVAL", assertThrows(XenstoreException.class,
                () -> store.track("@releaseDomain", recorder)).errno());
        assertEquals(0, store.watchCount());
    }

    /** Records the changes; fails the test if it is told that changes were missed. */
    private static final class Recorder implements ChangeFeed.ChangeListener {
        final List<String> changes = new ArrayList<>();

        @Override
        public void changed(String path) {
            changes.add(path);
        }

        @Override
        public void missed() {
            throw new AssertionError("the fake never loses a change");
        }
    }
}
