package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.XenstoreException;
import io.netbuf.spi.Xenstore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The compatibility kit for the {@link Xenstore} port: every implementation (the fake tree, the
 * native client, the tools) must give the same answers, error cases included. Extend it and
 * return a backend over a fresh store from {@link #xenstore()}.
 *
 * <p>It runs against the testkit's xenstored and against Xen's own daemons (the C {@code xenstored}
 * and the OCaml {@code oxenstored} of Xen 4.17). Where those differ it asserts only what netbuf
 * relies on, and says so:
 * <ul>
 *   <li>a fresh store is not empty: the daemons keep {@code /tool/xenstored} (and oxenstored lists
 *       {@code @introduceDomain} and {@code @releaseDomain} as nodes under {@code /});</li>
 *   <li>children come in the daemon's order (C xenstored and the testkit: creation order; oxenstored:
 *       sorted); netbuf relies on no order;</li>
 *   <li>{@code rm /}: C xenstored refuses it (EINVAL), oxenstored wipes the store; netbuf's backends
 *       refuse it before it is sent;</li>
 *   <li>values up to 2048 bytes are stored by every daemon (oxenstored's quota applies to dom0 too);</li>
 *   <li>paths: at most 2048 bytes, plus the length of a leading {@code /local/domain/<domid>/} (both
 *       daemons; the client checks this before sending).</li>
 * </ul>
 */
public abstract class XenstoreContract {
    /** @return the backend under test, over a store holding only {@code /} */
    protected abstract Xenstore xenstore();

    private static String errno(Runnable r) {
        return assertThrows(XenstoreException.class, r::run).errno();
    }

    /** The root always exists and cannot be removed (netbuf refuses {@code rm /}: oxenstored would wipe the store). */
    @Test
    public void rootExists() {
        assertTrue(xenstore().exists("/"));
        assertEquals("EINVAL", errno(() -> xenstore().rm("/")));
    }

    /** A missing node reads as empty and does not exist. */
    @Test
    public void missingNodeReadsEmpty() {
        assertEquals(Optional.empty(), xenstore().read("/missing"));
        assertFalse(xenstore().exists("/missing"));
    }

    /** Writes create missing parents with empty values; a second write replaces the value. */
    @Test
    public void writeCreatesParentsAndOverwrites() {
        Xenstore xs = xenstore();
        xs.write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
        xs.write("/libxl/5/remus/netbuf/0/ifb", "ifb1");
        assertEquals(Optional.of("ifb1"), xs.read("/libxl/5/remus/netbuf/0/ifb"));
        assertEquals(Optional.of(""), xs.read("/libxl/5/remus"));
        assertEquals(List.of("netbuf"), xs.list("/libxl/5/remus"));
    }

    /** Values survive the trip unchanged: empty, spaces, backslashes, tabs, newlines, UTF-8. */
    @Test
    public void valuesRoundTrip() {
        Xenstore xs = xenstore();
        for (String value : List.of("", "two words", "back\\slash", "tab\there", "line\nbreak", "caf\u00e9",
                "-n", "\\x41")) {
            xs.write("/v", value);
            assertEquals(Optional.of(value), xs.read("/v"), value);
        }
    }

    /**
     * Children are listed once each, in creation order (C xenstored, the testkit) or sorted
     * (oxenstored): netbuf relies on neither.
     */
    @Test
    public void listsChildrenInCreationOrderOrSorted() {
        Xenstore xs = xenstore();
        xs.write("/d/zeta", "1");
        xs.write("/d/alpha", "2");
        xs.mkdir("/d/mid");
        xs.write("/d/zeta", "3");
        List<String> children = xs.list("/d");
        assertTrue(children.equals(List.of("zeta", "alpha", "mid")) || children.equals(List.of("alpha", "mid", "zeta")),
                children::toString);
        assertEquals(List.of(), xs.list("/d/mid"));
    }

    /**
     * The longest path every daemon accepts is 2048 bytes, or 2048 bytes below a leading
     * {@code /local/domain/<domid>/}; one byte more is EINVAL, refused before anything changes.
     */
    @Test
    public void pathLengthLimitIsTheDaemons() {
        Xenstore xs = xenstore();
        String outside = "/libxl/" + "a".repeat(2048 - "/libxl/".length());
        xs.write(outside, "v");
        assertEquals(Optional.of("v"), xs.read(outside));
        assertEquals("EINVAL", errno(() -> xs.write(outside + "b", "v")));
        String home = "/local/domain/7/";
        String inside = home + "c".repeat(2048);
        xs.write(inside, "w");
        assertEquals(Optional.of("w"), xs.read(inside));
        assertEquals("EINVAL", errno(() -> xs.write(inside + "d", "w")));
        assertEquals("EINVAL", errno(() -> xs.read(inside + "d")));
        assertEquals(List.of("c".repeat(2048)), xs.list("/local/domain/7"));
    }

    /** A value of 2048 bytes is stored everywhere (oxenstored refuses more, from dom0 too). */
    @Test
    public void valuesOf2048BytesAreStored() {
        Xenstore xs = xenstore();
        String value = "v".repeat(2048);
        xs.write("/big/ok", value);
        assertEquals(Optional.of(value), xs.read("/big/ok"));
    }

    /**
     * Reading and listing many nodes at once answers like one call per path, in order, with
     * missing nodes as empty, inside a transaction as well; a bad path is EINVAL.
     */
    @Test
    public void readAllAndListAllAnswerLikeSingleCalls() {
        Xenstore xs = xenstore();
        List<String> paths = new java.util.ArrayList<>();
        for (int d = 1; d <= 150; d++) { // more than a pipelining backend keeps in flight at once
            xs.write("/libxl/" + d + "/remus/netbuf/0/ifb", "ifb" + d);
            paths.add("/libxl/" + d + "/remus/netbuf/0/ifb");
        }
        paths.add(2, "/libxl/missing/ifb");
        List<Optional<String>> values = xs.readAll(paths);
        assertEquals(paths.size(), values.size());
        for (int i = 0; i < paths.size(); i++) {
            assertEquals(xs.read(paths.get(i)), values.get(i), paths.get(i));
        }
        assertEquals(Optional.empty(), values.get(2));
        assertEquals(Optional.of("ifb150"), values.get(values.size() - 1));

        List<Optional<List<String>>> listings = xs.transaction(ops -> ops.listAll(
                List.of("/libxl/1/remus/netbuf", "/libxl/404/remus/netbuf", "/libxl/2/remus")));
        assertEquals(List.of(Optional.of(List.of("0")), Optional.empty(), Optional.of(List.of("netbuf"))), listings);
        assertEquals(List.of(Optional.of("ifb7")),
                xs.transaction(ops -> ops.readAll(List.of("/libxl/7/remus/netbuf/0/ifb"))));
        assertEquals(List.of(), xs.readAll(List.of()));
        assertEquals("EINVAL", errno(() -> xs.readAll(List.of("/libxl/1", "relative"))));
        assertEquals("EINVAL", errno(() -> xs.listAll(List.of("/bad//path"))));
    }

    /** Listing a missing node is ENOENT. */
    @Test
    public void listOfMissingNodeIsEnoent() {
        XenstoreException e = assertThrows(XenstoreException.class, () -> xenstore().list("/nope"));
        assertEquals("ENOENT", e.errno());
        assertEquals(Optional.of("/nope"), e.path());
    }

    /** mkdir creates an empty node, and leaves an existing one (and its value) alone. */
    @Test
    public void mkdirIsIdempotent() {
        Xenstore xs = xenstore();
        xs.write("/m", "keep");
        xs.mkdir("/m");
        xs.mkdir("/n/o");
        assertEquals(Optional.of("keep"), xs.read("/m"));
        assertEquals(Optional.of(""), xs.read("/n/o"));
    }

    /** rm removes the whole subtree. */
    @Test
    public void rmRemovesSubtree() {
        Xenstore xs = xenstore();
        xs.write("/r/a/b", "1");
        xs.write("/r/c", "2");
        xs.rm("/r/a");
        assertFalse(xs.exists("/r/a/b"));
        assertFalse(xs.exists("/r/a"));
        assertEquals(List.of("c"), xs.list("/r"));
    }

    /** Removing a missing leaf whose parent exists succeeds, as in xenstored. */
    @Test
    public void rmOfMissingLeafSucceeds() {
        Xenstore xs = xenstore();
        xs.mkdir("/p");
        xs.rm("/p/missing");
        assertTrue(xs.exists("/p"));
    }

    /** Removing a node whose parent is missing too is ENOENT. */
    @Test
    public void rmWithMissingParentIsEnoent() {
        assertEquals("ENOENT", errno(() -> xenstore().rm("/no/such")));
    }

    /** Paths that xenstored refuses are EINVAL, before anything changes. */
    @Test
    public void badPathsAreEinval() {
        Xenstore xs = xenstore();
        List<String> before = xs.list("/");
        for (String bad : List.of("relative", "/trailing/", "/double//slash", "/sp ace", "/dot.dot", "-n")) {
            assertEquals("EINVAL", errno(() -> xs.read(bad)), bad);
            assertEquals("EINVAL", errno(() -> xs.write(bad, "v")), bad);
            assertEquals("EINVAL", errno(() -> xs.list(bad)), bad);
            assertEquals("EINVAL", errno(() -> xs.rm(bad)), bad);
        }
        assertEquals(before, xs.list("/"));
    }

    /** A value that does not fit in one 4096-byte message is E2BIG. */
    @Test
    public void oversizedValueIsE2big() {
        assertEquals("E2BIG", errno(() -> xenstore().write("/big", "x".repeat(4096))));
        assertFalse(xenstore().exists("/big"));
    }

    /** A transaction returns its body's result and its writes are visible afterwards. */
    @Test
    public void transactionCommits() {
        Xenstore xs = xenstore();
        String result = xs.transaction(ops -> {
            assertFalse(ops.exists("/t/claim"));
            ops.write("/t/claim", "ifb0");
            assertEquals(Optional.of("ifb0"), ops.read("/t/claim"));
            assertEquals(List.of("claim"), ops.list("/t"));
            return "done";
        });
        assertEquals("done", result);
        assertEquals(Optional.of("ifb0"), xs.read("/t/claim"));
    }

    /**
     * A node the transaction read changes under it: a transactional backend retries the body (so
     * it runs twice) and commits on the fresh state; the others run it once.
     */
    @Test
    public void conflictingTransactionIsRetried() {
        Xenstore xs = xenstore();
        xs.write("/c/claim", "");
        AtomicInteger runs = new AtomicInteger();
        String seen = xs.transaction(ops -> {
            String before = ops.read("/c/claim").orElseThrow();
            if (runs.incrementAndGet() == 1) {
                xs.write("/c/claim", "other");
            }
            ops.write("/c/mine", before);
            return before;
        });
        if (xs.isTransactional()) {
            assertEquals(2, runs.get());
            assertEquals("other", seen);
        } else {
            assertEquals(1, runs.get());
            assertEquals("", seen);
        }
        assertEquals(Optional.of(seen), xs.read("/c/mine"));
    }

    /** On a transactional backend, a body that throws leaves nothing behind. */
    @Test
    public void failedTransactionBodyLeavesNoTrace() {
        Xenstore xs = xenstore();
        IllegalStateException boom = new IllegalStateException("boom");
        assertEquals(boom, assertThrows(IllegalStateException.class, () -> xs.transaction(ops -> {
            ops.write("/f/partial", "x");
            throw boom;
        })));
        assertEquals(!xs.isTransactional(), xs.exists("/f/partial"));
    }

    /**
     * Claimers racing in transactions: on a transactional backend exactly one wins.
     *
     * @throws Exception when a claimer thread fails
     */
    @Test
    public void racingClaimsHaveOneWinnerWhenTransactional() throws Exception {
        Xenstore xs = xenstore();
        int claimers = 4;
        AtomicInteger winners = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(claimers);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < claimers; i++) {
                String me = "ifb" + i;
                futures.add(pool.submit(() -> {
                    if (xs.transaction(ops -> {
                        if (ops.exists("/race/ifb")) {
                            return false;
                        }
                        ops.write("/race/ifb", me);
                        return true;
                    })) {
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
        assertTrue(xs.read("/race/ifb").orElseThrow().startsWith("ifb"));
        if (xs.isTransactional()) {
            assertEquals(1, winners.get());
        } else {
            assertTrue(winners.get() >= 1);
        }
    }
}
