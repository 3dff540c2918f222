package io.netbuf.testkit.compat;

import io.netbuf.XenstoreException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.impl.xenstore.XenstoreTools;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The xenstore kit against the Xen lab's real dom0: the running {@code xenstored}, shared with Xen's own
 * services, through the kernel's xenbus device, through the daemon's socket and through the
 * {@code xenstore-*} tools. Run there by {@link Dom0ContractMain} ({@code it/xen-lab/remus-check.sh --only
 * contract}); never on the host: the name matches neither surefire's nor failsafe's patterns, and
 * {@link #connect()} refuses anything but a Xen dom0.
 *
 * <p>The store is Xen's own, never empty and never restarted between tests: each test starts from what
 * was there ({@code /local/domain/0}, {@code /tool}, ...) and every node it added is removed afterwards.
 * A node that was there before and was changed by a test fails that test (and is put back), so the kit
 * never clobbers what Xen keeps there; it runs with no guest, where the paths it uses are free.
 */
abstract class Dom0XenstoreContract extends XenstoreContract {
    /** xenstored's socket in the lab's dom0. */
    static final Path SOCKET = Path.of("/var/run/xenstored/socket");
    /** The kernel's xenbus device in dom0. */
    static final Path XENBUS = Path.of("/dev/xen/xenbus");
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private XenstoreClient housekeeping;
    private Map<String, String> before;
    private Xenstore backend;

    /** @return a backend over the running daemon, through the path this run checks */
    abstract Xenstore connect();

    /** Refuses to run anywhere but in a Xen dom0 (the host's own store, if any, is not the lab's). */
    static void requireDom0() {
        try {
            Path caps = Path.of("/proc/xen/capabilities");
            if (!Files.isReadable(caps) || !Files.readString(caps).contains("control_d")) {
                throw new IllegalStateException("not in a Xen dom0 (no control_d in /proc/xen/capabilities): "
                        + "this kit runs in the Xen lab only (it/xen-lab/remus-check.sh --only contract)");
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/xen/capabilities", e);
        }
    }

    @BeforeEach
    void snapshot() {
        requireDom0();
        housekeeping = XenstoreClient.connect(SOCKET, TIMEOUT);
        before = tree(housekeeping);
    }

    @Override
    protected Xenstore xenstore() {
        if (backend == null) {
            backend = connect();
        }
        return backend;
    }

    @AfterEach
    void restore() {
        try {
            if (backend instanceof AutoCloseable closeable) {
                closeable.close();
            }
        } catch (Exception e) {
            throw new IllegalStateException("closing " + backend, e);
        } finally {
            backend = null;
        }
        try {
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
        } finally {
            housekeeping.close();
        }
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

    /** Through the kernel's xenbus device, as a dom0 process without the socket does. */
    static class Xenbus extends Dom0XenstoreContract {
        @Override
        Xenstore connect() {
            return XenstoreClient.connect(XENBUS, TIMEOUT);
        }
    }

    /** Through xenstored's unix socket. */
    static class Socket extends Dom0XenstoreContract {
        @Override
        Xenstore connect() {
            return XenstoreClient.connect(SOCKET, TIMEOUT);
        }
    }

    /** Through the {@code xenstore-*} tools of the lab's Xen tree (on dom0's PATH). */
    static class Tools extends Dom0XenstoreContract {
        @Override
        Xenstore connect() {
            return new XenstoreTools(new CommandRunner(TIMEOUT, System.getenv()));
        }
    }
}
