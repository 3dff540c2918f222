package io.netbuf.testkit.compat;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreTools;
import io.netbuf.it.Requirements;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** The xenstore kit against Debian's xenstore-* tools talking to the testkit xenstored. */
class ToolsContractTest extends XenstoreContract {
    private XenstoredServer server;
    private XenstoreTools tools;

    /** @return whether Debian's xenstore-utils binaries are installed */
    static boolean toolsInstalled() {
        return Files.isExecutable(Path.of("/usr/bin/xenstore-read")) && Files.isExecutable(Path.of("/usr/bin/xenstore-ls"));
    }

    /**
     * @param server the server the tools must talk to
     * @return this process's environment with XENSTORED_PATH pointing at the server
     */
    static Map<String, String> environment(XenstoredServer server) {
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(server.environment());
        return env;
    }

    @BeforeEach
    void start() {
        Requirements.require(toolsInstalled(), "Debian's xenstore-utils (apt-get install -y xenstore-utils)");
        server = XenstoredServer.start();
        tools = new XenstoreTools(new CommandRunner(Duration.ofSeconds(10), environment(server)));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Override
    protected Xenstore xenstore() {
        return tools;
    }
}
