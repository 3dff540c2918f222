package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.XenstoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FakeXenstoreTest {
    private final FakeXenstore store = new FakeXenstore();

    private static String errno(Runnable r) {
        return assertThrows(XenstoreException.class, r::run).errno();
    }

    @Test
    void rootExistsAndCannotBeRemoved() {
        assertTrue(store.exists("/"));
        assertEquals(List.of(), store.list("/"));
        assertEquals("EINVAL", errno(() -> store.rm("/")));
        assertEquals(List.of("n0"), store.getPerms(0, "/"));
    }

    @Test
    void writeCreatesParentsWithEmptyValuesAndListsInCreationOrder() {
        store.write("/a/zeta", "1");
        store.write("/a/alpha", "2");
        store.write("/a/mid/x", "3");
        store.write("/a/zeta", "4");
        assertEquals(List.of("zeta", "alpha", "mid"), store.list("/a"));
        assertEquals(Optional.of(""), store.read("/a"));
        assertEquals(Optional.of("4"), store.read("/a/zeta"));
        assertEquals(Map.of("/", "", "/a", "", "/a/zeta", "4", "/a/alpha", "2", "/a/mid", "", "/a/mid/x", "3"),
                store.snapshot());
    }

    @Test
    void missingNodes() {
        assertEquals(Optional.empty(), store.read("/nope"));
        assertFalse(store.exists("/nope"));
        XenstoreException e = assertThrows(XenstoreException.class, () -> store.list("/nope"));
        assertEquals("ENOENT", e.errno());
        assertEquals(Optional.of("/nope"), e.path());
        assertEquals("ENOENT", errno(() -> store.getPerms(0, "/nope")));
    }

    @Test
    void rmOfMissingNodeNeedsItsParent() {
        store.write("/p/c", "v");
        store.rm("/p/missing");
        assertEquals("ENOENT", errno(() -> store.rm("/q/missing")));
        store.rm("/p");
        assertEquals(Map.of("/", ""), store.snapshot());
    }

    @Test
    void mkdirIsIdempotentAndKeepsValue() {
        store.write("/d", "keep");
        store.mkdir("/d");
        store.mkdir("/e/f");
        assertEquals(Optional.of("keep"), store.read("/d"));
        assertEquals(Optional.of(""), store.read("/e/f"));
    }

    @Test
    void rejectsBadPaths() {
        for (String bad : List.of("", "rel/path", "/a//b", "/a/", "/a b", "/a.b", "/a\u00e9", "/" + "x".repeat(3072))) {
            assertEquals("EINVAL", errno(() -> store.read(bad)), bad);
            assertEquals("EINVAL", errno(() -> store.write(bad, "v")), bad);
        }
        assertEquals(Map.of("/", ""), store.snapshot());
    }

    @Test
    void oversizedWriteIsE2big() {
        assertEquals("E2BIG", errno(() -> store.write("/big", "x".repeat(4096))));
        store.write("/big", "x".repeat(4096 - "/big".length() - 1));
    }

    @Test
    void permissionsAreInheritedAndValidated() {
        store.write("/dom", "");
        store.setPerms(0, "/dom", List.of("n5", "r0"));
        store.write("/dom/child", "v");
        assertEquals(List.of("n5", "r0"), store.getPerms(0, "/dom/child"));
        assertEquals("EINVAL", errno(() -> store.setPerms(0, "/dom", List.of("x1"))));
        assertEquals("EINVAL", errno(() -> store.setPerms(0, "/dom", List.of())));
        assertEquals("ENOENT", errno(() -> store.setPerms(0, "/none", List.of("n0"))));
    }

    @Test
    void transactionSeesOwnChangesAndCommitsAtomically() {
        int tx = store.transactionStart();
        store.writeBytes(tx, "/t/a", "1".getBytes(StandardCharsets.UTF_8));
        assertTrue(store.exists(tx, "/t/a"));
        assertFalse(store.exists("/t/a"));
        store.transactionEnd(tx, true);
        assertEquals(Optional.of("1"), store.read("/t/a"));
        assertEquals(0, store.openTransactions());
    }

    @Test
    void abortDiscardsAndUnknownTransactionIsEnoent() {
        int tx = store.transactionStart();
        store.writeBytes(tx, "/t", new byte[0]);
        store.transactionEnd(tx, false);
        assertFalse(store.exists("/t"));
        assertEquals("ENOENT", errno(() -> store.transactionEnd(tx, true)));
        assertEquals("ENOENT", errno(() -> store.readBytes(tx, "/t")));
    }

    @Test
    void conflictOnReadNodeChangedOutside() {
        store.write("/claim", "");
        int tx = store.transactionStart();
        store.readBytes(tx, "/claim");
        store.write("/claim", "other");
        store.writeBytes(tx, "/mine", "x".getBytes(StandardCharsets.UTF_8));
        assertEquals("EAGAIN", errno(() -> store.transactionEnd(tx, true)));
        assertFalse(store.exists("/mine"));
    }

    @Test
    void conflictOnMissingNodeCreatedOutside() {
        int tx = store.transactionStart();
        assertFalse(store.exists(tx, "/ifb"));
        store.write("/ifb", "taken");
        store.writeBytes(tx, "/ifb", "mine".getBytes(StandardCharsets.UTF_8));
        assertEquals("EAGAIN", errno(() -> store.transactionEnd(tx, true)));
        assertEquals(Optional.of("taken"), store.read("/ifb"));
    }

    @Test
    void conflictOnListedDirectoryGainingAChild() {
        store.mkdir("/dir");
        int tx = store.transactionStart();
        store.list(tx, "/dir");
        store.write("/dir/new", "");
        assertEquals("EAGAIN", errno(() -> store.transactionEnd(tx, true)));
    }

    /** C xenstored (measured on 4.17): a transaction sees a node as it is when first touched; no conflict. */
    @Test
    void noConflictOnNodeChangedAfterStartBeforeFirstTouch() {
        int tx = store.transactionStart();
        store.write("/x", "outside");
        assertEquals("outside", new String(store.readBytes(tx, "/x").orElseThrow(), StandardCharsets.UTF_8));
        store.writeBytes(tx, "/y", "mine".getBytes(StandardCharsets.UTF_8));
        store.transactionEnd(tx, true);
        assertEquals(Optional.of("mine"), store.read("/y"));
    }

    /** oxenstored (measured on 4.17): a transaction reads a snapshot taken at its start; a node read that changed since conflicts. */
    @Test
    void oxenstoredRuleConflictsOnNodeChangedAfterStartBeforeFirstTouch() {
        int tx = store.transactionStart(true);
        store.write("/x", "outside");
        store.readBytes(tx, "/x");
        assertEquals("EAGAIN", errno(() -> store.transactionEnd(tx, true)));
    }

    @Test
    void oxenstoredRuleConflictsOnNodeRemovedAfterStartBeforeFirstTouch() {
        store.write("/a/b/c", "here");
        int tx = store.transactionStart(true);
        store.rm("/a/b");
        assertEquals(Optional.empty(), store.readBytes(tx, "/a/b/c"));
        store.writeBytes(tx, "/elsewhere", "mine".getBytes(StandardCharsets.UTF_8));
        assertEquals("EAGAIN", errno(() -> store.transactionEnd(tx, true)));
        assertEquals(Optional.empty(), store.read("/elsewhere"), "a failed commit applies nothing");
    }

    /** oxenstored (measured on 4.17): a blind write (to a node the transaction did not read) wins over another's write. */
    @Test
    void oxenstoredRuleMergesBlindWrites() {
        store.write("/x", "0");
        int tx = store.transactionStart(true);
        store.writeBytes(tx, "/x", "tx".getBytes(StandardCharsets.UTF_8));
        store.write("/x", "other");
        store.transactionEnd(tx, true);
        assertEquals(Optional.of("tx"), store.read("/x"));
        int c = store.transactionStart();
        store.writeBytes(c, "/x", "c".getBytes(StandardCharsets.UTF_8));
        store.write("/x", "other");
        assertEquals("EAGAIN", errno(() -> store.transactionEnd(c, true)), "C xenstored's rule: EAGAIN");
    }

    @Test
    void untouchedNodesChangedElsewhereDoNotConflict() {
        for (int i = 0; i < 1000; i++) {
            store.write("/big/" + i, "v" + i);
        }
        int tx = store.transactionStart();
        store.write("/big/7", "changed outside");
        store.writeBytes(tx, "/mine", "x".getBytes(StandardCharsets.UTF_8));
        store.transactionEnd(tx, true);
        assertEquals(Optional.of("x"), store.read("/mine"));
        assertEquals(Optional.of("changed outside"), store.read("/big/7"));
    }

    @Test
    void unrelatedChangesDoNotConflict() {
        store.write("/a", "");
        int tx = store.transactionStart();
        store.readBytes(tx, "/a");
        store.write("/b", "elsewhere");
        store.writeBytes(tx, "/a", "mine".getBytes(StandardCharsets.UTF_8));
        store.transactionEnd(tx, true);
        assertEquals(Optional.of("mine"), store.read("/a"));
        assertEquals(Optional.of("elsewhere"), store.read("/b"));
    }

    @Test
    void concurrentClaimsHaveExactlyOneWinner() throws Exception {
        int claimers = 8;
        AtomicInteger winners = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(claimers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < claimers; i++) {
                String me = "claimer" + i;
                futures.add(pool.submit(() -> {
                    boolean won = store.transaction(ops -> {
                        if (ops.read("/libxl/1/ifb").isPresent()) {
                            return false;
                        }
                        ops.write("/libxl/1/ifb", me);
                        return true;
                    });
                    if (won) {
                        winners.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, winners.get());
        assertTrue(store.read("/libxl/1/ifb").orElseThrow().startsWith("claimer"));
        assertEquals(0, store.openTransactions());
    }

    @Test
    void transactionBodyFailureAborts() {
        assertThrows(IllegalStateException.class, () -> store.transaction(ops -> {
            ops.write("/partial", "x");
            throw new IllegalStateException("boom");
        }));
        assertFalse(store.exists("/partial"));
        assertEquals(0, store.openTransactions());
    }

    @Test
    void transactionRmOfSubtree() {
        store.write("/r/a/b", "1");
        store.transaction(ops -> {
            ops.rm("/r/a");
            return null;
        });
        assertEquals(List.of(), store.list("/r"));
        assertFalse(store.exists("/r/a/b"));
    }

    @Test
    void watchesFireAtRegistrationOnChangesBelowAndOnAncestorRemoval() {
        List<String> events = new ArrayList<>();
        store.write("/w/x", "1");
        FakeXenstore.WatchHandle h = store.watch("/w/x", "tok", (p, t) -> events.add(p + "|" + t));
        store.write("/w/x/y", "2");
        store.write("/w/other", "3");
        store.rm("/w");
        h.close();
        store.write("/w/x", "after");
        assertEquals(List.of("/w/x|tok", "/w/x/y|tok", "/w/x|tok"), events);
        assertEquals(0, store.watchCount());
    }

    @Test
    void watchEventsOfATransactionFireOnCommitOnly() {
        List<String> events = new ArrayList<>();
        store.watch("/", "all", (p, t) -> events.add(p));
        events.clear();
        int tx = store.transactionStart();
        store.writeBytes(tx, "/c", new byte[0]);
        assertEquals(List.of(), events);
        store.transactionEnd(tx, true);
        assertEquals(List.of("/c"), events);
    }

    @Test
    void specialWatchPathsAreAccepted() {
        List<String> events = new ArrayList<>();
        store.watch("@releaseDomain", "t", (p, t) -> events.add(p));
        store.write("/a", "");
        assertEquals(List.of("@releaseDomain"), events);
        assertEquals("EINVAL", errno(() -> store.watch("bad path", "t", (p, t) -> { })));
    }
}
