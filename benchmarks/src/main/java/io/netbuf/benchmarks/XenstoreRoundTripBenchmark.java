package io.netbuf.benchmarks;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.impl.xenstore.XenstoreTools;
import io.netbuf.spi.Xenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One XenStore write followed by a read of the same node, against the testkit xenstored, through
 * the native wire client and through Debian's xenstore-write/xenstore-read (fork + exec per call).
 * Both run in one invocation so the ratio compares like with like.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class XenstoreRoundTripBenchmark {
    /** Which backend answers. */
    @Param({"native", "tools"})
    public String backend;

    private XenstoredServer server;
    private Xenstore xenstore;
    private long counter;

    /** Starts the server and the backend under test. */
    @Setup(Level.Trial)
    public void setUp() {
        server = XenstoredServer.start();
        if (backend.equals("native")) {
            xenstore = XenstoreClient.connect(server.socketPath(), Duration.ofSeconds(10));
        } else {
            Map<String, String> env = new HashMap<>(System.getenv());
            env.putAll(server.environment());
            xenstore = new XenstoreTools(new CommandRunner(Duration.ofSeconds(10), env));
        }
        xenstore.write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
    }

    /** Stops the backend and the server. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (xenstore instanceof XenstoreClient client) {
            client.close();
        }
        server.close();
    }

    /**
     * @return the value read back, so the JIT cannot drop the calls
     */
    @Benchmark
    public Optional<String> writeThenRead() {
        xenstore.write("/libxl/5/remus/netbuf/0/hotplug-status", Long.toString(counter++));
        return xenstore.read("/libxl/5/remus/netbuf/0/hotplug-status");
    }
}
