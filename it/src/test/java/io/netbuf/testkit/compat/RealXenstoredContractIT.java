package io.netbuf.testkit.compat;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.impl.xenstore.XenstoreTools;
import io.netbuf.it.Requirements;
import io.netbuf.it.xenstored.RealXenstored;
import io.netbuf.it.xenstored.RealXenstored.Flavour;
import io.netbuf.spi.Xenstore;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;

/**
 * The xenstore kit against Xen's own daemons (Debian's {@code xen-utils-4.17}), each through the
 * native client and through Debian's {@code xenstore-*} tools: four runs of {@link XenstoreContract}.
 */
class RealXenstoredContractIT {

    /** One daemon, one backend. */
    abstract static class Run extends XenstoreContract {
        private RealXenstored daemon;
        private XenstoreClient client;
        private Xenstore backend;

        abstract Flavour flavour();

        abstract boolean tools();

        @Override
        protected Xenstore xenstore() {
            if (backend == null) {
                daemon = RealXenstored.start(flavour());
                if (tools()) {
                    Requirements.require(ToolsContractTest.toolsInstalled(),
                            "Debian's xenstore-utils (apt-get install -y xenstore-utils)");
                    Map<String, String> env = new HashMap<>(System.getenv());
                    env.putAll(daemon.environment());
                    backend = new XenstoreTools(new CommandRunner(Duration.ofSeconds(10), env));
                } else {
                    client = XenstoreClient.connect(daemon.socketPath(), Duration.ofSeconds(5));
                    backend = client;
                }
            }
            return backend;
        }

        @AfterEach
        void stop() {
            if (client != null) {
                client.close();
            }
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    /** The C xenstored through the native client. */
    @Nested
    class CNative extends Run {
        @Override
        Flavour flavour() {
            return Flavour.C;
        }

        @Override
        boolean tools() {
            return false;
        }
    }

    /** The C xenstored through the xenstore-* tools. */
    @Nested
    class CTools extends Run {
        @Override
        Flavour flavour() {
            return Flavour.C;
        }

        @Override
        boolean tools() {
            return true;
        }
    }

    /** oxenstored through the native client. */
    @Nested
    class OcamlNative extends Run {
        @Override
        Flavour flavour() {
            return Flavour.OCAML;
        }

        @Override
        boolean tools() {
            return false;
        }
    }

    /** oxenstored through the xenstore-* tools. */
    @Nested
    class OcamlTools extends Run {
        @Override
        Flavour flavour() {
            return Flavour.OCAML;
        }

        @Override
        boolean tools() {
            return true;
        }
    }
}
