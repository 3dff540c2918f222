package io.netbuf.testkit.compat;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.impl.xenstore.XenstoreTools;
import io.netbuf.spi.Xenstore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The xenstore kit against the Xen lab's real dom0: the running {@code xenstored}, shared with Xen's own
 * services (see {@link Dom0Store}), through the kernel's xenbus device, through the daemon's socket and
 * through the {@code xenstore-*} tools. Run there by {@link Dom0ContractMain} ({@code
 * it/xen-lab/remus-check.sh --only contract}); never on the host: the names match neither surefire's nor
 * failsafe's patterns, and {@link Dom0Store#snapshot()} refuses anything but a Xen dom0.
 */
abstract class Dom0XenstoreContract extends XenstoreContract {
    private Dom0Store store;
    private Xenstore backend;

    /** @return a backend over the running daemon, through the path this run checks */
    abstract Xenstore connect();

    @BeforeEach
    void snapshot() {
        store = Dom0Store.snapshot();
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
        try (Dom0Store s = store) {
            if (backend instanceof XenstoreClient client) {
                client.close();
            }
            backend = null;
            if (s != null) {
                s.restore();
            }
        }
    }

    /** Through the kernel's xenbus device, as a dom0 process without the socket does. */
    static class Xenbus extends Dom0XenstoreContract {
        @Override
        Xenstore connect() {
            return XenstoreClient.connect(Dom0Store.XENBUS, Dom0Store.TIMEOUT);
        }
    }

    /** Through xenstored's unix socket. */
    static class Socket extends Dom0XenstoreContract {
        @Override
        Xenstore connect() {
            return XenstoreClient.connect(Dom0Store.SOCKET, Dom0Store.TIMEOUT);
        }
    }

    /** Through the {@code xenstore-*} tools of the lab's Xen tree (on dom0's PATH). */
    static class Tools extends Dom0XenstoreContract {
        @Override
        Xenstore connect() {
            return new XenstoreTools(new CommandRunner(Dom0Store.TIMEOUT, System.getenv()));
        }
    }
}
