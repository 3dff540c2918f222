package io.netbuf.benchmarks;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.testkit.xenstored.XenstoredServer;
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
 * {@code xenstore-*} tools, against a testkit xenstored over its socket; links and traffic
 * control through rtnetlink in a throwaway namespace (plug stand-in where sch_plug is missing).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AttachScaling}.
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

    /** How many other domains hold a claim. */
    @Param({"1", "100", "1000"})
    public int domains;

    private BenchNamespace namespace;
    private XenstoredServer server;
    private BenchHost host;
    private NetworkBuffer.Builder builder;
    private NetworkBuffer attached;

    /** Fills XenStore, builds the namespace and the host. */
    @Setup(Level.Trial)
    public void setUp() {
        namespace = BenchNamespace.create(1, 1);
        server = XenstoredServer.start();
        BenchXenstore.populate(server.store(), domains);
        host = BenchHost.open(SystemHost.Backend.NATIVE, namespace, BenchXenstore.connect(server, xenstore));
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

    /** Closes the host and the server, deletes the namespace. */
    @TearDown(Level.Trial)
    public void tearDown() {
        host.close();
        server.close();
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
