package io.netbuf.benchmarks;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.it.xenstored.RealXenstored;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How attach scales with the number of other domains holding netbuf claims in XenStore: a pick
 * needs every live domain's claims ({@code /local/domain}, then {@code /libxl/<domid>/remus/netbuf}
 * and each claim's {@code ifb}); the native client keeps them in a watch-fed index, the tools read
 * them all at each pick. Attach time (the close after each attach
 * is not timed) with 1, 100 and 1,000 other domains, XenStore through the native client or the
 * {@code xenstore-*} tools, against a testkit xenstored over its socket, or (parameter {@code daemon})
 * Xen's own C {@code xenstored} (Debian's {@code xen-utils-4.17}, run without a hypervisor by
 * {@code it/xenstored-real}); links and traffic control through rtnetlink in a throwaway namespace (plug
 * stand-in where sch_plug is missing).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AttachScaling}; side by side on both daemons:
 * {@code ... AttachScaling -p xenstore=native -p daemon=testkit,xenstored} (as root).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class AttachScalingBenchmark {
    /** How XenStore is reached. */
    @Param({"native", "tools"})
    public String xenstore;

    /** Which daemon answers: the testkit's ({@code testkit}) or Xen's C daemon ({@code xenstored}). */
    @Param({"testkit"})
    public String daemon;

    /** How many other domains hold a claim. */
    @Param({"1", "100", "1000"})
    public int domains;

    private BenchNamespace namespace;
    private XenstoredServer server;
    private RealXenstored real;
    private BenchHost host;
    private NetworkBuffer.Builder builder;
    private NetworkBuffer attached;

    /** Fills XenStore, builds the namespace and the host. */
    @Setup(Level.Trial)
    public void setUp() {
        namespace = BenchNamespace.create(1, 1);
        Xenstore backend;
        if (daemon.equals("testkit")) {
            server = XenstoredServer.start();
            BenchXenstore.populate(server.store(), domains);
            backend = BenchXenstore.connect(server, xenstore);
        } else if (daemon.equals("xenstored")) {
            real = RealXenstored.run(RealXenstored.Flavour.C);
            try (XenstoreClient client = XenstoreClient.connect(real.socketPath(), Duration.ofSeconds(10))) {
                BenchXenstore.populate(client, domains);
            }
            backend = BenchXenstore.connect(real.socketPath(), real.environment(), xenstore);
        } else {
            throw new IllegalArgumentException("daemon must be testkit or xenstored: " + daemon);
        }
        host = BenchHost.open(SystemHost.Backend.NATIVE, namespace, backend);
        System.out.println("[netbuf-bench] " + host.plug().describe() + "; host: " + host.description());
        builder = NetworkBuffer.forVif("vif1.0").xenbusPath(BenchXenstore.XENBUS_PATH).on(host);
    }

    /** Closes the buffer attached by the last invocation (not timed). */
    @TearDown(Level.Invocation)
    public void detach() {
        if (attached != null) {
            attached.close();
            attached = null;
        }
    }

    /** Closes the host and the daemon, deletes the namespace. */
    @TearDown(Level.Trial)
    public void tearDown() {
        host.close();
        if (server != null) {
            server.close();
        }
        if (real != null) {
            real.close();
        }
        namespace.close();
    }

    /**
     * Attaches one buffer.
     *
     * @return the buffer (closed after the invocation)
     */
    @Benchmark
    public NetworkBuffer attach() {
        attached = builder.attach();
        return attached;
    }
}
