package io.netbuf.testkit.compat;

import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.ChangeFeed;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The change feed kit against the native wire client talking to the testkit xenstored. */
class NativeClientChangeFeedContractTest extends ChangeFeedContract {
    private XenstoredServer server;
    private XenstoreClient client;

    @BeforeEach
    void start() {
        server = XenstoredServer.start();
        client = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Override
    protected Xenstore xenstore() {
        return client;
    }

    @Override
    protected ChangeFeed changeFeed() {
        return client;
    }
}
