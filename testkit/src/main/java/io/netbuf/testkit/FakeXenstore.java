package io.netbuf.testkit;

import io.netbuf.Validate;
import io.netbuf.XenstoreException;
import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.TransactionalXenstore;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An in-memory XenStore with the semantics of C xenstored: writes create missing parents, children
 * are listed in creation order, removing a missing node succeeds when its parent exists, the root
 * {@code /} always exists, and bad paths fail with {@code EINVAL}. A transaction sees each node as it
 * was when the transaction first touched it, and its own changes; its commit fails with
 * {@code EAGAIN}, applying nothing, when any node it read, listed or wrote (including a node it
 * found missing) was changed by someone else after it first touched it, as in C xenstored
 * ({@link #transactionStart(boolean)} gives oxenstored's rule instead).
 * Watches fire once when registered and then for every change at or under their path, including
 * the removal of an ancestor. Per-node permissions are kept in xenstored's string form
 * ({@code "n0"}, {@code "r5"}); every caller is treated as dom0, so they are stored, not enforced.
 *
 * <p>It is its own {@link ChangeFeed}: {@link #track} listeners are told of each change as it is
 * committed, so every change is known to them before any later request returns.
 *
 * <p>Thread-safe: every operation runs under one lock. Watch sinks and change listeners are called
 * while that lock is held, in the order the changes happen, so they must not block or call back into
 * the store.
 */
public final class FakeXenstore extends TransactionalXenstore implements ChangeFeed {
    /** Longest absolute path xenstored accepts, in bytes. */
    public static final int MAX_PATH_BYTES = 3072;
    /** Largest payload of one wire message; a write whose path and value exceed it fails with E2BIG. */
    public static final int MAX_PAYLOAD = 4096;

    private static final Pattern PATH_CHARS = Pattern.compile("[A-Za-z0-9\\-/_@]*");
    private static final Pattern PERM = Pattern.compile("[nrwb][0-9]+");
    private static final int MAX_ATTEMPTS = 1000;
    private static final long ABSENT = -1;
    private static final Logger LOG = LoggerFactory.getLogger(FakeXenstore.class);
    /** The token of {@link #track} watches: never seen by anyone, so one is enough. */
    private static final String CHANGE_FEED_TOKEN = "change-feed";

    private final Object lock = new Object();
    private final Map<String, Node> tree = new HashMap<>();
    private final Map<Integer, Tx> transactions = new HashMap<>();
    private final List<Watch> watches = new CopyOnWriteArrayList<>();
    private final GlobalView global = new GlobalView();
    private long generation;
    private int lastTxId;

    /** An empty store holding only the root node {@code /} (permissions {@code n0}). */
    public FakeXenstore() {
        super(MAX_ATTEMPTS);
        Node root = new Node(new byte[0], List.of("n0"));
        root.generation = ++generation;
        tree.put("/", root);
    }

    // ------------------------------------------------------------------ requests with a transaction id

    @Override
    public Optional<String> read(int tx, String path) {
        return readBytes(tx, path).map(FakeXenstore::text);
    }

    @Override
    public void write(int tx, String path, String value) {
        writeBytes(tx, path, value.getBytes(StandardCharsets.UTF_8));
    }


    /**
     * Reads a node's raw value.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return the value, or empty when the node does not exist
     */
    public Optional<byte[]> readBytes(int tx, String path) {
        checkPath("read", path);
        synchronized (lock) {
            View view = view("read", tx, path);
            view.read(path);
            Node node = view.nodes().get(path);
            return node == null ? Optional.empty() : Optional.of(node.value.clone());
        }
    }

    /**
     * Writes a raw value, creating missing parents.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @param value the value
     */
    public void writeBytes(int tx, String path, byte[] value) {
        checkPath("write", path);
        if (path.getBytes(StandardCharsets.UTF_8).length + 1 + value.length > MAX_PAYLOAD) {
            throw new XenstoreException("write", path, "E2BIG",
                    "path and value exceed the " + MAX_PAYLOAD + "-byte message limit", null);
        }
        synchronized (lock) {
            View view = view("write", tx, path);
            Node node = ensure(view, path);
            node.value = value.clone();
            node.implicit = false;
            view.modified(path, node);
            view.event(path, false);
        }
    }

    /**
     * Creates a node with an empty value, and its missing parents; does nothing if it exists.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     */
    @Override
    public void mkdir(int tx, String path) {
        checkPath("mkdir", path);
        synchronized (lock) {
            View view = view("mkdir", tx, path);
            view.accessed(path);
            if (view.nodes().contains(path)) {
                return;
            }
            ensure(view, path).implicit = false;
            view.event(path, false);
        }
    }

    /**
     * Lists a node's children in creation order.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return the child names
     * @throws XenstoreException ENOENT when the node does not exist
     */
    @Override
    public List<String> list(int tx, String path) {
        checkPath("directory", path);
        synchronized (lock) {
            View view = view("directory", tx, path);
            view.read(path);
            return List.copyOf(existing(view, "directory", path).children);
        }
    }

    /**
     * Lists a node's children together with the node's generation count, which changes whenever
     * the node changes (xenstored's answer to DIRECTORY_PART carries it so that a client reading
     * a long listing in pieces can tell when it changed between pieces).
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return the children in creation order and the generation
     * @throws XenstoreException ENOENT when the node does not exist
     */
    public Listing listing(int tx, String path) {
        checkPath("directory part", path);
        synchronized (lock) {
            View view = view("directory part", tx, path);
            view.read(path);
            Node node = existing(view, "directory part", path);
            return new Listing(List.copyOf(node.children), node.generation);
        }
    }

    /**
     * A node's children and its generation count.
     *
     * @param children the child names in creation order
     * @param generation a number that changes whenever the node changes
     */
    public record Listing(List<String> children, long generation) {
    }

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return whether the node exists
     */
    @Override
    public boolean exists(int tx, String path) {
        return readBytes(tx, path).isPresent();
    }

    /**
     * Removes a node and its subtree; removing a missing node succeeds when its parent exists.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path other than {@code /}
     * @throws XenstoreException EINVAL for {@code /}, ENOENT when neither the node nor its parent exists
     */
    @Override
    public void rm(int tx, String path) {
        checkPath("rm", path);
        if (path.equals("/")) {
            throw new XenstoreException("rm", path, "EINVAL", "the root cannot be removed", null);
        }
        synchronized (lock) {
            View view = view("rm", tx, path);
            view.accessed(path);
            String parentPath = parent(path);
            if (!view.nodes().contains(path)) {
                view.accessed(parentPath);
                if (view.nodes().contains(parentPath)) {
                    return;
                }
                throw new XenstoreException("rm", path, "ENOENT", null, null);
            }
            removeSubtree(view, path);
            view.accessed(parentPath);
            Node parent = view.nodes().get(parentPath);
            parent.children.remove(name(path));
            view.modified(parentPath, parent);
            view.event(path, true);
        }
    }

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return the node's permissions, owner entry first (e.g. {@code ["n0", "r5"]})
     * @throws XenstoreException ENOENT when the node does not exist
     */
    public List<String> getPerms(int tx, String path) {
        checkPath("get perms", path);
        synchronized (lock) {
            View view = view("get perms", tx, path);
            view.read(path);
            return List.copyOf(existing(view, "get perms", path).perms);
        }
    }

    /**
     * Replaces a node's permissions.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @param perms at least one entry of the form {@code [nrwb]<domid>}, the owner's first
     * @throws XenstoreException EINVAL for a malformed list, ENOENT when the node does not exist
     */
    public void setPerms(int tx, String path, List<String> perms) {
        checkPath("set perms", path);
        if (perms.isEmpty() || !perms.stream().allMatch(p -> p != null && PERM.matcher(p).matches())) {
            throw new XenstoreException("set perms", path, "EINVAL", "bad permissions " + perms, null);
        }
        synchronized (lock) {
            View view = view("set perms", tx, path);
            Node node = existing(view, "set perms", path);
            node.perms = List.copyOf(perms);
            node.implicit = false;
            view.modified(path, node);
            view.event(path, false);
        }
    }

    /**
     * Starts a transaction.
     *
     * @return its id (never {@link #NO_TRANSACTION})
     */
    @Override
    public int transactionStart() {
        return transactionStart(false);
    }

    /**
     * Starts a transaction whose commit follows C xenstored ({@code mergeBlindWrites} false: it conflicts when a
     * node it read, listed or wrote changed after it first touched it) or oxenstored ({@code true}: it conflicts
     * when a node it read or listed changed after it started; nodes it only wrote take its values, whatever
     * others wrote meanwhile, unless their children changed), as measured on Xen 4.17's daemons.
     *
     * @param mergeBlindWrites true for oxenstored's rule
     * @return its id (never {@link #NO_TRANSACTION})
     */
    public int transactionStart(boolean mergeBlindWrites) {
        synchronized (lock) {
            do {
                lastTxId = lastTxId == Integer.MAX_VALUE ? 1 : lastTxId + 1;
            } while (transactions.containsKey(lastTxId));
            transactions.put(lastTxId, new Tx(tree, generation, mergeBlindWrites));
            return lastTxId;
        }
    }

    /**
     * Ends a transaction: commits its changes, or discards them.
     *
     * @param tx the transaction id
     * @param commit true to commit, false to abort
     * @throws XenstoreException EAGAIN when the commit conflicts (nothing is applied), ENOENT for
     *     an unknown transaction
     */
    @Override
    public void transactionEnd(int tx, boolean commit) {
        List<Event> events;
        synchronized (lock) {
            Tx t = transactions.remove(tx);
            if (t == null) {
                throw new XenstoreException("transaction end", null, "ENOENT", "no transaction " + tx, null);
            }
            if (!commit) {
                return;
            }
            String conflict = t.mergeBlindWrites ? oxenstoredConflict(t) : cConflict(t);
            if (conflict != null) {
                throw new XenstoreException("transaction end", conflict, "EAGAIN",
                        "changed by another client during transaction " + tx, null);
            }
            for (String path : t.modified) {
                Node node = t.nodes.local.get(path);
                if (node == null) {
                    tree.remove(path);
                } else {
                    node.generation = ++generation;
                    tree.put(path, node);
                }
            }
            events = t.events;
            for (Event e : events) {
                fire(e);
            }
        }
    }

    /** C xenstored: a node the transaction touched changed after it first touched it. */
    private String cConflict(Tx t) {
        for (Map.Entry<String, Long> seen : t.firstSeen.entrySet()) {
            if (generationNow(seen.getKey()) != seen.getValue()) {
                return seen.getKey();
            }
        }
        return null;
    }

    /**
     * oxenstored: a node the transaction read or listed changed since it started (its snapshot), or a node it
     * wrote got other children meanwhile (which this fake cannot merge); other written nodes are merged.
     */
    private String oxenstoredConflict(Tx t) {
        for (String path : t.read) {
            long now = generationNow(path);
            if (now != t.firstSeen.get(path) || generationNow(nearestExisting(path)) > t.startGeneration) {
                return path; // changed since first read, or (it, or what held it) since the snapshot
            }
        }
        for (String path : t.modified) {
            Node live = tree.get(path);
            List<String> first = t.firstChildren.get(path);
            if (live != null && first != null && !live.children.equals(first)) {
                return path;
            }
        }
        return null;
    }

    /** @return the path itself, or its nearest ancestor, that exists in the live tree */
    private String nearestExisting(String path) {
        String p = path;
        while (!p.equals("/") && !tree.containsKey(p)) {
            p = parent(p);
        }
        return p;
    }

    private long generationNow(String path) {
        Node now = tree.get(path);
        return now == null ? ABSENT : now.generation;
    }

    /** @return how many transactions are open (started, not ended) */
    public int openTransactions() {
        synchronized (lock) {
            return transactions.size();
        }
    }

    // ------------------------------------------------------------------ watches

    /**
     * Registers a watch. The sink is called once at once with ({@code path}, {@code token}), then
     * with (changed path, {@code token}) for each change at or under {@code path}; when an
     * ancestor of {@code path} is removed it is called with ({@code path}, {@code token}).
     *
     * @param path an absolute path, or a special path starting with {@code @}
     * @param token the caller's token, echoed in every event
     * @param sink receives (path, token); called under the store's lock, must not block
     * @return the registration; {@link WatchHandle#close()} removes it
     */
    public WatchHandle watch(String path, String token, BiConsumer<String, String> sink) {
        if (path == null || !(path.startsWith("@") && PATH_CHARS.matcher(path).matches()
                && path.length() <= MAX_PATH_BYTES)) {
            checkPath("watch", path);
        }
        Watch w = new Watch(path, token, sink);
        synchronized (lock) {
            watches.add(w);
            sink.accept(path, token);
        }
        return w;
    }

    /**
     * {@inheritDoc} The listener is called synchronously, under the store's lock: at once with
     * {@code path}, then as each change at or under {@code path} is made (a transaction's changes
     * when it commits, in the order it made them; none when it aborts), and with {@code path} when an
     * ancestor is removed. A listener that throws is logged and keeps its subscription. The store
     * never loses a change, so {@link ChangeListener#missed()} is never called.
     *
     * @param path an absolute path
     * @param listener receives the changes
     * @return the subscription (a watch with an internal token); closing it stops the feed
     * @throws XenstoreException EINVAL for a bad path
     */
    @Override
    public WatchHandle track(String path, ChangeListener listener) {
        checkPath("watch", path);
        Objects.requireNonNull(listener, "listener");
        return watch(path, CHANGE_FEED_TOKEN, (changed, token) -> {
            try {
                listener.changed(changed);
            } catch (RuntimeException e) {
                LOG.warn("change listener for {} failed", path, e);
            }
        });
    }

    /** @return how many watches are registered */
    public int watchCount() {
        return watches.size();
    }

    /** A registered watch (or {@link #track} subscription). */
    public interface WatchHandle extends ChangeFeed.Subscription {
        /** @return the token */
        String token();

        /** Removes the watch; idempotent. */
        @Override
        void close();
    }

    // ------------------------------------------------------------------ inspection

    /**
     * @return every node and its value (UTF-8), sorted by path, root included; for leak checks and
     *     assertions
     */
    public Map<String, String> snapshot() {
        return contents().values();
    }

    /**
     * @return every node's value (as {@link #snapshot()}) and the nodes that exist only because a
     *     write or mkdir below them created them, never written, made or given permissions themselves
     */
    Contents contents() {
        synchronized (lock) {
            Map<String, String> values = new TreeMap<>();
            Set<String> implicit = new HashSet<>();
            tree.forEach((path, node) -> {
                values.put(path, text(node.value));
                if (node.implicit) {
                    implicit.add(path);
                }
            });
            return new Contents(values, implicit);
        }
    }

    /** Runs an action with no other request to this store in between (its watches fire meanwhile). */
    <T> T atomically(Supplier<T> action) {
        synchronized (lock) {
            return action.get();
        }
    }

    /**
     * What the store holds, for the leak check.
     *
     * @param values every node's value, sorted by path
     * @param implicit the nodes created only as missing parents of another
     */
    record Contents(Map<String, String> values, Set<String> implicit) {
    }

    @Override
    public String toString() {
        return "FakeXenstore" + snapshot();
    }

    /**
     * Checks a path against xenstored's rules.
     *
     * @param operation the request, for the error
     * @param path the path
     * @return the path
     * @throws XenstoreException EINVAL unless the path is absolute, no longer than Xen's daemons allow
     *     ({@link Validate#maxXenstorePathBytes(String)}), made of
     *     {@code A-Za-z0-9-/_@}, without {@code //} and without a trailing {@code /} (except {@code /})
     */
    public static String checkPath(String operation, String path) {
        String problem = Validate.xenstorePathProblem(path);
        if (problem != null) {
            throw new XenstoreException(operation, path, "EINVAL", "path " + problem, null);
        }
        return path;
    }

    // ------------------------------------------------------------------ internals

    private View view(String operation, int tx, String path) {
        if (tx == NO_TRANSACTION) {
            return global;
        }
        Tx t = transactions.get(tx);
        if (t == null) {
            throw new XenstoreException(operation, path, "ENOENT", "no transaction " + tx, null);
        }
        return t;
    }

    private static Node existing(View view, String operation, String path) {
        view.accessed(path);
        Node node = view.nodes().get(path);
        if (node == null) {
            throw new XenstoreException(operation, path, "ENOENT", null, null);
        }
        return node;
    }

    /**
     * Returns the node at {@code path}, creating it and its missing ancestors (empty, parent's perms,
     * marked implicit until the caller says otherwise).
     */
    private static Node ensure(View view, String path) {
        Deque<String> missing = new ArrayDeque<>();
        String p = path;
        while (true) {
            view.accessed(p);
            if (view.nodes().contains(p)) {
                break;
            }
            missing.push(p);
            p = parent(p);
        }
        Node parent = view.nodes().get(p);
        String parentPath = p;
        while (!missing.isEmpty()) {
            String child = missing.pop();
            Node node = new Node(new byte[0], parent.perms);
            node.implicit = true;
            parent.children.add(name(child));
            view.modified(parentPath, parent);
            view.nodes().put(child, node);
            view.modified(child, node);
            parent = node;
            parentPath = child;
        }
        return view.nodes().get(path);
    }

    private static void removeSubtree(View view, String path) {
        view.accessed(path);
        Node node = view.nodes().remove(path);
        for (String child : node.children) {
            removeSubtree(view, join(path, child));
        }
        view.modified(path, null);
    }

    private void fire(Event e) {
        for (Watch w : watches) {
            if (isAtOrUnder(e.path, w.path)) {
                w.sink.accept(e.path, w.token);
            } else if (e.recursive && isAtOrUnder(w.path, e.path)) {
                w.sink.accept(w.path, w.token);
            }
        }
    }


    static boolean isAtOrUnder(String path, String ancestor) {
        if (ancestor.equals("/")) {
            return path.startsWith("/");
        }
        return path.equals(ancestor) || (path.startsWith(ancestor) && path.charAt(ancestor.length()) == '/');
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }

    private static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    private static String join(String parent, String child) {
        return parent.equals("/") ? "/" + child : parent + "/" + child;
    }

    private static String text(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }

    private static final class Node {
        byte[] value;
        List<String> perms;
        final List<String> children = new ArrayList<>();
        long generation = ABSENT;
        /** Created as a missing parent and never written, made or given permissions itself. */
        boolean implicit;

        Node(byte[] value, List<String> perms) {
            this.value = value;
            this.perms = perms;
        }

        Node copy() {
            Node copy = new Node(value, perms);
            copy.children.addAll(children);
            copy.generation = generation;
            copy.implicit = implicit;
            return copy;
        }
    }

    private record Event(String path, boolean recursive) {
    }

    /** The nodes an operation reads and changes. */
    private interface Nodes {
        /** @return the node at {@code path}, or null */
        Node get(String path);

        default boolean contains(String path) {
            return get(path) != null;
        }

        void put(String path, Node node);

        /** @return the removed node, or null */
        Node remove(String path);
    }

    /** The live tree itself. */
    private record LiveNodes(Map<String, Node> tree) implements Nodes {
        @Override
        public Node get(String path) {
            return tree.get(path);
        }

        @Override
        public void put(String path, Node node) {
            tree.put(path, node);
        }

        @Override
        public Node remove(String path) {
            return tree.remove(path);
        }
    }

    /**
     * A transaction's nodes: each live node is copied when the transaction first touches it, as
     * cxenstored does, so starting a transaction costs nothing whatever the store's size. The commit
     * checks that every node touched still has the generation it had then, so a committed transaction
     * has seen one consistent state: the one it commits on.
     */
    private static final class CopyOnAccess implements Nodes {
        private final Map<String, Node> live;
        /** Touched nodes: copies, changes, and null for removed ones. */
        final Map<String, Node> local = new HashMap<>();

        CopyOnAccess(Map<String, Node> live) {
            this.live = live;
        }

        @Override
        public Node get(String path) {
            if (local.containsKey(path)) {
                return local.get(path);
            }
            Node node = live.get(path);
            if (node == null) {
                local.put(path, null);
                return null;
            }
            Node copy = node.copy();
            local.put(path, copy);
            return copy;
        }

        @Override
        public void put(String path, Node node) {
            local.put(path, node);
        }

        @Override
        public Node remove(String path) {
            Node old = get(path);
            local.put(path, null);
            return old;
        }
    }

    /** Where an operation reads and writes: the live tree or a transaction's view of it. */
    private interface View {
        Nodes nodes();

        /** Called before the operation looks at {@code path}. */
        void accessed(String path);

        /** Called before a read, listing or permission query of {@code path} (oxenstored's conflicts). */
        default void read(String path) {
            accessed(path);
        }

        /** Called after the operation changed (or, with null, removed) the node at {@code path}. */
        void modified(String path, Node node);

        void event(String path, boolean recursive);
    }

    private final class GlobalView implements View {
        private final Nodes nodes = new LiveNodes(tree);

        @Override
        public Nodes nodes() {
            return nodes;
        }

        @Override
        public void accessed(String path) {
            // the live tree needs no bookkeeping of reads
        }

        @Override
        public void modified(String path, Node node) {
            if (node != null) {
                node.generation = ++generation;
            }
        }

        @Override
        public void event(String path, boolean recursive) {
            fire(new Event(path, recursive));
        }
    }

    private static final class Tx implements View {
        final CopyOnAccess nodes;
        final long startGeneration;
        final boolean mergeBlindWrites;
        /** Generation of each touched node when the transaction first touched it (ABSENT if missing). */
        final Map<String, Long> firstSeen = new LinkedHashMap<>();
        /** Children of each touched node when the transaction first touched it (null if missing). */
        final Map<String, List<String>> firstChildren = new HashMap<>();
        /** Nodes read, listed or queried (not only written). */
        final Set<String> read = new LinkedHashSet<>();
        final Set<String> modified = new LinkedHashSet<>();
        final List<Event> events = new ArrayList<>();

        Tx(Map<String, Node> live, long startGeneration, boolean mergeBlindWrites) {
            this.nodes = new CopyOnAccess(live);
            this.startGeneration = startGeneration;
            this.mergeBlindWrites = mergeBlindWrites;
        }

        @Override
        public void read(String path) {
            accessed(path);
            read.add(path);
        }

        @Override
        public Nodes nodes() {
            return nodes;
        }

        @Override
        public void accessed(String path) {
            if (!firstSeen.containsKey(path)) {
                Node node = nodes.get(path);
                firstSeen.put(path, node == null ? ABSENT : node.generation);
                firstChildren.put(path, node == null ? null : List.copyOf(node.children));
            }
        }

        @Override
        public void modified(String path, Node node) {
            accessed(path);
            modified.add(path);
        }

        @Override
        public void event(String path, boolean recursive) {
            events.add(new Event(path, recursive));
        }
    }

    private final class Watch implements WatchHandle {
        final String path;
        final String token;
        final BiConsumer<String, String> sink;

        Watch(String path, String token, BiConsumer<String, String> sink) {
            this.path = path;
            this.token = token;
            this.sink = sink;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String token() {
            return token;
        }

        @Override
        public void close() {
            watches.remove(this);
        }
    }
}
