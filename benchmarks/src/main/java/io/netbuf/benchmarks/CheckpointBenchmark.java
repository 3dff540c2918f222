package io.netbuf.benchmarks;

import io.netbuf.BufferGroup;
import io.netbuf.NetworkBuffer;
import io.netbuf.event.BufferListener;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.it.PlugStandIn;
import io.netbuf.spi.PlugAction;
import java.util.ArrayList;
import java.util.List;
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
 * The cost of one checkpoint: {@code checkpoint()} + {@code commit()} through the public API, for
 * 1, 4 and 16 vifs (one {@link NetworkBuffer}, or a {@link BufferGroup} of 4 or 16), on a real
 * host in a throwaway network namespace, side by side:
 * <ul>
 *   <li>{@code native}: {@link SystemHost} over rtnetlink (a group sends all its vifs' messages in
 *       one datagram, one ack each);</li>
 *   <li>{@code tools}: {@link SystemHost} over {@code tc} (one fork + exec per vif and action);</li>
 *   <li>{@code raw}: the floor, the same messages (one datagram per action, as the native backend
 *       batches them) sent by a minimal loop ({@link RawRtnetlink}) over the same kind of socket,
 *       on the IFBs the API attached.</li>
 * </ul>
 * Where the kernel has sch_plug these are the real BUFFER and RELEASE_ONE plug actions; where it
 * has not, the documented stand-in ({@link PlugStandIn}): the same change to a root pfifo.
 * Setup prints which one ran. Needs root.
 *
 * <p>{@code listener=none|noop} measures what observing costs the checkpoint path: the same loop
 * with and without a listener on every buffer, side by side in one run.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar Checkpoint}; the listener's cost alone:
 * {@code ... Checkpoint -p path=native -p vifs=1,16}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 8, time = 1)
@Fork(value = 1, jvmArgsAppend = "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
public class CheckpointBenchmark {
    /** Who sends the messages. */
    @Param({"native", "tools", "raw"})
    public String path;

    /** How many vifs are checkpointed together. */
    @Param({"1", "4", "16"})
    public int vifs;

    /**
     * Who listens to the buffers' events: {@code none}, or {@code noop} (a {@link BufferListener}
     * that overrides nothing, registered on every buffer: each checkpoint and commit then queues an
     * event, delivered and completed with the commit's figures on netbuf's event thread). Ignored by
     * {@code raw}.
     */
    @Param({"none", "noop"})
    public String listener;

    private BenchNamespace namespace;
    private BenchHost host;
    private final List<NetworkBuffer> buffers = new ArrayList<>();
    private NetworkBuffer single;
    private BufferGroup group;
    private RawRtnetlink raw;
    private RawRtnetlink.Prepared rawCheckpoint;
    private RawRtnetlink.Prepared rawCommit;

    /** Creates the namespace with its vifs and IFBs, and attaches a buffer to every vif. */
    @Setup(Level.Trial)
    public void setUp() {
        namespace = BenchNamespace.create(vifs, vifs);
        host = BenchHost.open(path.equals("tools") ? SystemHost.Backend.TOOLS : SystemHost.Backend.NATIVE, namespace,
                null);
        System.out.println("[netbuf-bench] " + host.plug().describe() + "; host: " + host.description());
        for (String vif : namespace.vifs()) {
            NetworkBuffer.Builder builder = NetworkBuffer.forVif(vif).on(host);
            if (listener.equals("noop")) {
                builder.listener(new BufferListener() {
                });
            }
            buffers.add(builder.attach());
        }
        if (vifs == 1) {
            single = buffers.get(0);
        } else {
            group = NetworkBuffer.group(buffers);
        }
        if (path.equals("raw")) {
            int[] ifindexes = new int[buffers.size()];
            for (int i = 0; i < ifindexes.length; i++) {
                ifindexes[i] = host.links().find(buffers.get(i).ifb()).orElseThrow().index();
            }
            if (host.plug() == BenchHost.Plug.REAL) {
                rawCheckpoint = RawRtnetlink.rootChange(ifindexes, "plug", new int[] {PlugAction.BUFFER_CODE, 0});
                rawCommit = RawRtnetlink.rootChange(ifindexes, "plug", new int[] {PlugAction.RELEASE_ONE_CODE, 0});
            } else {
                int[] limit = {PlugStandIn.LIMIT_PACKETS};
                rawCheckpoint = RawRtnetlink.rootChange(ifindexes, "pfifo", limit);
                rawCommit = RawRtnetlink.rootChange(ifindexes, "pfifo", limit);
            }
            raw = new RawRtnetlink(namespace.name());
            if (raw.exchange(rawCheckpoint) != 0 || raw.exchange(rawCommit) != 0) {
                throw new IllegalStateException("the kernel refused the raw loop's messages");
            }
        }
    }

    /** Detaches the buffers and deletes the namespace. */
    @TearDown(Level.Trial)
    public void tearDown() {
        try {
            if (raw != null) {
                raw.close();
                RawRtnetlink.free(rawCheckpoint);
                RawRtnetlink.free(rawCommit);
            }
            buffers.forEach(NetworkBuffer::close);
            host.close();
        } finally {
            namespace.close();
        }
    }

    /**
     * One checkpoint and its commit for every vif.
     *
     * @return the raw loop's error field (0), so its work cannot be dropped
     */
    @Benchmark
    public int checkpointCommit() {
        if (raw != null) {
            return raw.exchange(rawCheckpoint) | raw.exchange(rawCommit);
        }
        if (single != null) {
            single.checkpoint();
            single.commit();
        } else {
            group.checkpoint();
            group.commit();
        }
        return 0;
    }
}
