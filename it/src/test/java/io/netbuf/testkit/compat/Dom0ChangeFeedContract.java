package io.netbuf.testkit.compat;

import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.Xenstore;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The change feed kit (XenStore watches) against the Xen lab's real dom0, through the kernel's xenbus
 * device (where the kernel, not xenstored, answers {@code WATCH} and forwards the events) and through the
 * daemon's socket. Run there by {@link Dom0ContractMain}, never on the host (see {@link Dom0XenstoreContract}).
 */
abstract class Dom0ChangeFeedContract extends ChangeFeedContract {
    private Dom0Store store;
    private XenstoreClient client;

    /** @return the endpoint this run checks */
    abstract Path endpoint();

    @BeforeEach
    void connect() {
        store = Dom0Store.snapshot();
        client = XenstoreClient.connect(endpoint(), Dom0Store.TIMEOUT);
    }

    @AfterEach
    void restore() {
        try (Dom0Store s = store) {
            if (client != null) {
                client.close();
            }
            if (s != null) {
                s.restore();
            }
        }
    }

    @Override
    protected Xenstore xenstore() {
        return client;
    }

    @Override
    protected ChangeFeed changeFeed() {
        return client;
    }

    /** Through the kernel's xenbus device. */
    static class Xenbus extends Dom0ChangeFeedContract {
        @Override
        Path endpoint() {
            return Dom0Store.XENBUS;
        }
    }

    /** Through xenstored's unix socket. */
    static class Socket extends Dom0ChangeFeedContract {
        @Override
        Path endpoint() {
            return Dom0Store.SOCKET;
        }
    }
}
