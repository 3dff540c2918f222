package io.netbuf.benchmarks;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.it.PlugStandIn;
import io.netbuf.spi.Host;
import io.netbuf.testkit.FakeHost;
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
 * One buffer's whole life: {@code attach()} then {@code close()}, with a xenbus path (claim,
 * hotplug status), side by side:
 * <ul>
 *   <li>{@code native}: {@link SystemHost} over rtnetlink, XenStore through the native client;</li>
 *   <li>{@code tools}: {@link SystemHost} over {@code ip}/{@code tc}, XenStore through
 *       {@code xenstore-*};</li>
 *   <li>{@code fake}: the testkit's {@link FakeHost}: the library's own overhead (engine, validation,
 *       fake kernel and store), what a consumer's test suite pays per attach.</li>
 * </ul>
 * The real hosts work in a throwaway namespace with one vif and one IFB, against a testkit
 * xenstored. On a kernel without sch_plug the plug is the pfifo stand-in ({@link PlugStandIn}:
 * addPlug/deleteRoot/plug on a root pfifo); setup prints which. Needs root for the real hosts.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar AttachClose}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// The fake host needs a long warm-up on a loaded machine: it is pure Java and the JIT competes for the cores.
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 8, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class AttachCloseBenchmark {
    /** Which host answers. */
    @Param({"native", "tools", "fake"})
    public String host;

    private BenchNamespace namespace;
    private XenstoredServer server;
    private BenchHost real;
    private FakeHost fake;
    private NetworkBuffer.Builder builder;
    private int sinceClear;

    /** Builds the host and the buffer's configuration. */
    @Setup(Level.Trial)
    public void setUp() {
        Host target;
        if (host.equals("fake")) {
            fake = FakeHost.create().withVif("vif1.0").withIfbs(1);
            BenchXenstore.populate(fake.fakeXenstore(), 0);
            target = fake;
        } else {
            namespace = BenchNamespace.create(1, 1);
            server = XenstoredServer.start();
            BenchXenstore.populate(server.store(), 0);
            real = BenchHost.open(host.equals("native") ? SystemHost.Backend.NATIVE : SystemHost.Backend.TOOLS,
                    namespace, BenchXenstore.connect(server, host));
            System.out.println("[netbuf-bench] " + real.plug().describe() + "; host: " + real.description());
            target = real;
        }
        builder = NetworkBuffer.forVif("vif1.0").xenbusPath(BenchXenstore.XENBUS_PATH).on(target);
    }

    /** Closes the host and the server, deletes the namespace. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (real != null) {
            real.close();
            server.close();
            namespace.close();
        }
    }

    /**
     * Attaches and closes one buffer.
     *
     * @return the IFB used
     */
    @Benchmark
    public String attachClose() {
        String ifb;
        try (NetworkBuffer buffer = builder.attach()) {
            ifb = buffer.ifb();
        }
        if (fake != null && ++sinceClear == 1024) {
            // FakeHost logs every port call for tests to inspect; a benchmark must not let it grow.
            fake.clearCalls();
            sinceClear = 0;
        }
        return ifb;
    }
}
