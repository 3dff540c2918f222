package io.netbuf.benchmarks;

import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;

/**
 * Runs the testkit xenstored as a process for the side-by-side harnesses
 * ({@code compare-reference.sh}, {@code scripts/hotplug-walltime.sh}, the kernel lab's cli check):
 * prints {@code XENSTORED_PATH=<socket>} on the first line of standard output, serves until standard
 * input closes, then stops. The store holds domain 0, domain 1 (the guest under test) and, when
 * an argument is given, that many other domains with netbuf claims on IFBs that do not exist, so
 * every claim scan reads them all ({@link BenchXenstore#populate}).
 */
public final class TestkitXenstored {
    private TestkitXenstored() {
    }

    /**
     * @param args optionally the number of other domains with claims (default 0)
     * @throws IOException if standard input fails
     */
    public static void main(String[] args) throws IOException {
        int others = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        try (XenstoredServer server = XenstoredServer.start()) {
            BenchXenstore.populate(server.store(), others);
            System.out.println("XENSTORED_PATH=" + server.socketPath());
            System.out.flush();
            while (System.in.read() >= 0) {
                // serve until the caller closes our standard input
            }
        }
    }
}
