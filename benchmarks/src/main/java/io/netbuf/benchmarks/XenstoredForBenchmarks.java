package io.netbuf.benchmarks;

import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;

/**
 * A testkit xenstored for wall-time comparisons of hotplug scripts: serves a store holding dom0 and
 * {@code N} Remus-protected guests (domains 2..N+1, each with a netbuf claim on an IFB that does not
 * exist, so every claim scan reads them all), prints its socket path on one line, and serves until
 * standard input closes. Used by {@code benchmarks/scripts/hotplug-walltime.sh}.
 */
public final class XenstoredForBenchmarks {
    private XenstoredForBenchmarks() {
    }

    /**
     * @param args the number of other domains (default 1)
     * @throws IOException if standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        int domains = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        FakeXenstore store = new FakeXenstore();
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/local/domain/1/name", "benchmarked");
        store.write("/libxl/1/remus/netbuf/0", "");
        for (int d = 2; d < domains + 2; d++) {
            store.write("/local/domain/" + d + "/name", "guest" + d);
            store.write("/libxl/" + d + "/remus/netbuf/0/ifb", "nbbenchifb" + d);
            store.write("/libxl/" + d + "/remus/netbuf/0/hotplug-status", "connected");
        }
        try (XenstoredServer server = XenstoredServer.start(store)) {
            System.out.println(server.socketPath());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the caller closes our standard input
            }
        }
    }
}
