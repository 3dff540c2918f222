package io.netbuf.benchmarks;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.it.PlugStandIn;
import io.netbuf.spi.Host;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * The library side of {@code benchmarks/compare-reference.sh -l}: a long-lived process, as a Remus
 * controller embedding netbuf is, that attaches and closes one buffer when told to and reports how
 * long each took inside the process. It acts on the machine it runs on (the harness starts it in
 * its namespace, with {@code XENSTORED_PATH} set): {@link SystemHost} with rtnetlink, the native
 * XenStore client and Xen's lock directory, or, with the stand-in, the same host whose plug is
 * {@link PlugStandIn}. Before it says {@code ready} it runs its warm-up cycles, so the timed
 * calls are those of a controller that has been running for a while.
 *
 * <p>Protocol, one line each way: {@code setup} → {@code ok <microseconds>} (the attach),
 * {@code teardown} → {@code ok <microseconds>} (the close), {@code quit}; a failure answers
 * {@code error <message>} and the buffer, if any, stays as it is.
 */
public final class LibraryDriver {
    private LibraryDriver() {
    }

    /**
     * @param args {@code VIF XENBUS_PATH STAND_IN(true|false) WARMUP_CYCLES}
     * @throws IOException when standard input cannot be read
     */
    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            System.err.println("usage: LibraryDriver VIF XENBUS_PATH STAND_IN(true|false) WARMUP_CYCLES");
            System.exit(2);
        }
        String vif = args[0];
        String xenbus = args[1];
        boolean standIn = Boolean.parseBoolean(args[2]);
        int warmup = Integer.parseInt(args[3]);
        PrintStream out = System.out;
        try (SystemHost system = standIn
                ? SystemHost.builder().kernelFeatures(new BenchHost.WithoutPlug(new HostKernelFeatures())).build()
                : SystemHost.builder().build()) {
            Host host = standIn ? BenchHost.withStandInPlug(system, null) : system;
            NetworkBuffer.Builder buffer = NetworkBuffer.forVif(vif).xenbusPath(xenbus).on(host);
            for (int i = 0; i < warmup; i++) {
                buffer.attach().close();
            }
            out.println("ready " + host.description());
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            NetworkBuffer attached = null;
            for (String line = in.readLine(); line != null && !line.equals("quit"); line = in.readLine()) {
                long start = System.nanoTime();
                try {
                    switch (line) {
                        case "setup" -> attached = buffer.attach();
                        case "teardown" -> {
                            if (attached == null) {
                                throw new IllegalStateException("teardown without a setup");
                            }
                            attached.close();
                            attached = null;
                        }
                        default -> throw new IllegalArgumentException("unknown command '" + line + "'");
                    }
                    out.println("ok " + (System.nanoTime() - start) / 1000);
                } catch (RuntimeException e) {
                    out.println("error " + String.valueOf(e.getMessage()).replace('\n', ' '));
                }
                out.flush();
            }
            if (attached != null) {
                attached.close();
            }
        }
    }
}
