package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.xenstored.XenstoredFlavour;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The xenstore kit against the native wire client talking to the testkit xenstored. */
class NativeClientContractTest extends XenstoreContract {
    private XenstoredServer server;
    private XenstoreClient client;

    /** @return the daemon the testkit server behaves like */
    XenstoredFlavour flavour() {
        return XenstoredFlavour.C_XENSTORED;
    }

    @BeforeEach
    void start() {
        server = XenstoredServer.start(flavour());
        client = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        assertEquals(0, server.store().openTransactions(), "transactions left open");
        server.close();
    }

    @Override
    protected Xenstore xenstore() {
        return client;
    }
}
