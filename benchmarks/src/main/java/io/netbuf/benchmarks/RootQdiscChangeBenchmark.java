package io.netbuf.benchmarks;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.RootQdiscRequests;
import io.netbuf.impl.netlink.Rtnetlink;
import java.time.Duration;
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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A qdisc change round trip (request + ack), side by side: through the native backend, through
 * {@code tc}, and through a minimal raw loop over the same kind of socket. Needs root; works in
 * a throwaway network namespace with 16 IFBs.
 *
 * <p>Stand-in for the plug: a checkpoint or commit is an {@code RTM_NEWQDISC} change
 * (REQUEST|ACK, parent root, no CREATE) of the IFB's root {@code plug} qdisc with a
 * {@code tc_plug_qopt}. Kernels without sch_plug (like the CI machine) cannot run that, so every
 * variant here sends the same change to a root {@code pfifo} instead, with a
 * {@code tc_fifo_qopt {limit}} as options: same message type, flags, size class and kernel path
 * (tc_modify_qdisc -> qdisc_change), through the same backend code as {@code plug()}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar RootQdiscChange}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RootQdiscChangeBenchmark {
    private static final int GROUP = 16;
    private static final int[] PFIFO_LIMIT = {1000};

    private final CommandRunner runner = new CommandRunner(Duration.ofSeconds(10), null);
    private String namespace;
    private Rtnetlink rtnl;
    private RootQdiscRequests rootQdiscs;
    private RawRtnetlink raw;
    private RawRtnetlink.Prepared rawOne;
    private RawRtnetlink.Prepared rawSixteen;
    private List<String> one;
    private List<String> sixteen;
    private List<String> tcArgv;

    /** Creates the namespace, the IFBs with their pfifo roots, and both sockets. */
    @Setup(Level.Trial)
    public void setUp() {
        namespace = "nbbench-" + ProcessHandle.current().pid();
        run("ip", "netns", "add", namespace);
        List<String> ifbs = new ArrayList<>();
        for (int i = 0; i < GROUP; i++) {
            String ifb = "ifb" + i;
            run("ip", "-n", namespace, "link", "add", ifb, "type", "ifb");
            run("tc", "-n", namespace, "qdisc", "add", "dev", ifb, "root", "handle", "1:", "pfifo", "limit", "1000");
            ifbs.add(ifb);
        }
        one = List.of(ifbs.get(0));
        sixteen = List.copyOf(ifbs);
        tcArgv = List.of("tc", "-n", namespace, "qdisc", "change", "dev", "ifb0", "root", "pfifo", "limit", "1000");

        rtnl = Rtnetlink.open(namespace, Duration.ofSeconds(5));
        NetlinkLinks links = new NetlinkLinks(rtnl);
        rootQdiscs = RootQdiscRequests.of(new NetlinkTrafficControl(rtnl, links));
        int ifindex = links.find("ifb0").orElseThrow().index();

        int[] all = new int[GROUP];
        for (int i = 0; i < GROUP; i++) {
            all[i] = links.find(ifbs.get(i)).orElseThrow().index();
        }
        raw = new RawRtnetlink(namespace);
        rawOne = RawRtnetlink.rootChange(new int[] {ifindex}, "pfifo", PFIFO_LIMIT);
        rawSixteen = RawRtnetlink.rootChange(all, "pfifo", PFIFO_LIMIT);
        if (raw.exchange(rawOne) != 0 || raw.exchange(rawSixteen) != 0) {
            throw new IllegalStateException("the raw pfifo change was refused");
        }
    }

    /** Deletes the namespace and closes the sockets. */
    @TearDown(Level.Trial)
    public void tearDown() {
        if (raw != null) {
            raw.close();
            RawRtnetlink.free(rawOne);
            RawRtnetlink.free(rawSixteen);
        }
        if (rtnl != null) {
            rtnl.close();
        }
        run("ip", "netns", "del", namespace);
    }

    /** One IFB through the native backend (the path of {@code plug()}). */
    @Benchmark
    public void nativeBackend() {
        rootQdiscs.change(one, "pfifo", PFIFO_LIMIT);
    }

    /** Sixteen IFBs through the native backend: one send, sixteen acks. Divide by 16 for per-vif cost. */
    @Benchmark
    public void nativeBackendBatchOf16() {
        rootQdiscs.change(sixteen, "pfifo", PFIFO_LIMIT);
    }

    /** The same change with a prepared message and no checks beyond the ack's error field. */
    @Benchmark
    public int rawLoop() {
        return raw.exchange(rawOne);
    }

    /** Sixteen prepared changes in one send, sixteen acks, by the raw loop. Divide by 16 for per-vif cost. */
    @Benchmark
    public int rawLoopBatchOf16() {
        return raw.exchange(rawSixteen);
    }

    /** The same change through {@code tc qdisc change} (fork + exec per call). */
    @Benchmark
    public int toolsBackend() {
        return runner.run("iproute2", "change qdisc", tcArgv).exitCode();
    }

    private void run(String... argv) {
        CommandRunner.Result r = runner.run("iproute2", "benchmark setup", List.of(argv));
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderr());
        }
    }
}
