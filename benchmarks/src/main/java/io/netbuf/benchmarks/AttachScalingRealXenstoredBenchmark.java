package io.netbuf.benchmarks;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.it.xenstored.RealXenstored;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.nio.file.Path;
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
 * {@link AttachScalingBenchmark}'s measurement (attach alone, native XenStore client, 1 / 100 / 1,000
 * other domains with claims) side by side against the testkit xenstored and against Xen's own C
 * {@code xenstored} (Debian's {@code xen-utils-4.17}, run without a hypervisor by
 * {@code it/xenstored-real}), so that the claim index's scaling is shown on the real daemon.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AttachScalingRealXenstored} (as root: it
 * uses a throwaway network namespace, and fetches the daemon with {@code apt-get download} once).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 6, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class AttachScalingRealXenstoredBenchmark {
    /** Which xenstored: the testkit's ({@code testkit}) or Xen's C daemon ({@code xenstored}). */
    @Param({"testkit", "xenstored"})
    public String daemon;

    /** How many other domains hold a claim. */
    @Param({"1", "100", "1000"})
    public int domains;

    private BenchNamespace namespace;
    private XenstoredServer testkit;
    private RealXenstored real;
    private BenchHost host;
    private NetworkBuffer.Builder builder;
    private NetworkBuffer attached;

    /** Starts the daemon, fills it, builds the namespace and the host. */
    @Setup(Level.Trial)
    public void setUp() {
        namespace = BenchNamespace.create(1, 1);
        Path socket;
        if (daemon.equals("testkit")) {
            testkit = XenstoredServer.start();
            socket = testkit.socketPath();
        } else {
            real = RealXenstored.run(RealXenstored.Flavour.C);
            socket = real.socketPath();
        }
        XenstoreClient client = XenstoreClient.connect(socket, Duration.ofSeconds(10));
        BenchXenstore.populate(client, domains);
        host = BenchHost.open(SystemHost.Backend.NATIVE, namespace, client);
        System.out.println("[netbuf-bench] " + daemon + " with " + domains + " other domains; "
                + host.plug().describe() + "; host: " + host.description());
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
        if (testkit != null) {
            testkit.close();
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
