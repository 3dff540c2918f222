package io.netbuf.testkit.compat;

import io.netbuf.XenstoreException;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.Xenstore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The Xen lab dom0's own store, shared by the kits run there ({@link Dom0XenstoreContract},
 * {@link Dom0ChangeFeedContract}): it is Xen's, never empty and never restarted between tests. A
 * snapshot taken before a test lets {@link #restore()} remove every node the test added afterwards; a node
 * that was there before and was changed or removed fails the test (a changed value is put back), so the
 * kits never clobber what Xen keeps there. They run with no guest, where the paths they use are free.
 */
final class Dom0Store implements AutoCloseable {
    /** xenstored's socket in the lab's dom0. */
    static final Path SOCKET = Path.of("/var/run/xenstored/socket");
    /** The kernel's xenbus device in dom0. */
    static final Path XENBUS = Path.of("/dev/xen/xenbus");
    /** The longest wait for one reply (the lab's dom0 is emulated and interpreted). */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final XenstoreClient housekeeping;
    private final Map<String, String> before;

    private Dom0Store(XenstoreClient housekeeping) {
        this.housekeeping = housekeeping;
        this.before = tree(housekeeping);
    }

    /**
     * @return a snapshot of the running daemon's store, taken through its socket
     * @throws IllegalStateException anywhere but in a Xen dom0 (the host's store, if any, is not the lab's)
     */
    static Dom0Store snapshot() {
        try {
            Path caps = Path.of("/proc/xen/capabilities");
            if (!Files.isReadable(caps) || !Files.readString(caps).contains("control_d")) {
                throw new IllegalStateException("not in a Xen dom0 (no control_d in /proc/xen/capabilities): "
                        + "these kits run in the Xen lab only (it/xen-lab/remus-check.sh --only contract)");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/xen/capabilities", e);
        }
        XenstoreClient client = XenstoreClient.connect(SOCKET, TIMEOUT);
        try {
            return new Dom0Store(client);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Removes every node added since the snapshot and puts back changed values.
     *
     * @throws AssertionError when a node that was there before was changed or removed
     */
    void restore() {
        List<String> changed = new ArrayList<>();
        Map<String, String> after = tree(housekeeping);
        for (Map.Entry<String, String> node : after.entrySet()) {
            String path = node.getKey();
            if (!before.containsKey(path)) {
                if (before.containsKey(parent(path))) {
                    housekeeping.rm(path); // the topmost node the test added: its subtree goes with it
                }
            } else if (!before.get(path).equals(node.getValue())) {
                changed.add(path);
                housekeeping.write(path, before.get(path));
            }
        }
        List<String> gone = new ArrayList<>(before.keySet());
        gone.removeAll(after.keySet());
        if (!changed.isEmpty() || !gone.isEmpty()) {
            throw new AssertionError("the test changed Xen's own nodes " + changed + " or removed " + gone
                    + " (values put back; removed nodes are not)");
        }
    }

    @Override
    public void close() {
        housekeeping.close();
    }

    /** @return every node of the store with its value, parents before children */
    private static Map<String, String> tree(Xenstore xs) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> todo = new ArrayList<>(List.of("/"));
        while (!todo.isEmpty()) {
            String path = todo.remove(todo.size() - 1);
            Optional<String> value;
            List<String> children;
            try {
                value = xs.read(path);
                children = xs.list(path);
            } catch (XenstoreException e) {
                if ("ENOENT".equals(e.errno())) {
                    continue; // went away meanwhile (Xen's own services write too)
                }
                throw e;
            }
            out.put(path, value.orElse(""));
            for (String child : children) {
                todo.add(("/".equals(path) ? "" : path) + "/" + child);
            }
        }
        return out;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash == 0 ? "/" : path.substring(0, slash);
    }
}
