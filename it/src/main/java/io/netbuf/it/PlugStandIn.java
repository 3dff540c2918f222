package io.netbuf.it;

import io.netbuf.OperationFailedException;
import io.netbuf.Validate;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.RootQdiscRequests;
import io.netbuf.spi.ForwardingTrafficControl;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stands in for {@code sch_plug} on kernels without it (like the build machines), for the tests and
 * the benchmarks alike: traffic control whose plug is a root {@code pfifo}; everything but the plug
 * goes to the real backend unchanged.
 *
 * <p>The stand-in keeps the plug's wire shape: creating the plug is an {@code RTM_NEWQDISC}
 * (CREATE|EXCL, parent root) of kind {@code pfifo} with a {@code tc_fifo_qopt {limit}}, and every
 * plug action (BUFFER, RELEASE_ONE, ...) is the same {@code RTM_NEWQDISC} change (REQUEST|ACK, no
 * CREATE) that {@link NetlinkTrafficControl#plug} sends, with kind {@code pfifo}: same message
 * type, flags and size class, same kernel path (tc_modify_qdisc, qdisc_change), built here from
 * the kind and options and sent through the backend's {@link RootQdiscRequests} (one send, one
 * ack per device, the backend's socket and ifindex cache). Through the
 * tools it is {@code tc qdisc change dev IFB root pfifo limit N}, the twin of
 * {@code tc qdisc change dev IFB root plug block}. The root pfifo is reported as kind
 * {@code plug}, so the engine finds and removes it like a plug. No packet is held and the plug's
 * byte limit is not applied: what this stands in for is the state handling (which IFB has a
 * "plug", what is created and removed, what fails when a device disappears) and the cost of each
 * call, never the buffering. Thread-safe.
 */
public final class PlugStandIn extends ForwardingTrafficControl {
    /** The pfifo limit in packets; every change sets it again (the plug's BUFFER sets nothing either). */
    public static final int LIMIT_PACKETS = 1000;
    /** The stand-in's qdisc kind. */
    public static final String KIND = "pfifo";
    /** Its options: a {@code struct tc_fifo_qopt {u32 limit;}}. */
    private static final int[] OPTIONS = {LIMIT_PACKETS};

    private final RootQdiscRequests rootQdiscs;
    private final CommandRunner runner;
    private final String namespace;

    /**
     * A stand-in on {@code backend}.
     *
     * @param backend the real traffic control (rtnetlink or tc)
     * @param runner runs {@code tc} when the backend is the tools one
     * @param namespace the network namespace the backend acts in, or null for this process's
     */
    public PlugStandIn(TrafficControl backend, CommandRunner runner, String namespace) {
        super(backend);
        this.rootQdiscs = backend instanceof NetlinkTrafficControl n ? RootQdiscRequests.of(n) : null;
        this.runner = runner;
        this.namespace = namespace;
    }

    @Override
    public List<Qdisc> qdiscs(String dev) {
        return asPlug(delegate().qdiscs(dev));
    }

    /** The same listing as {@link #qdiscs(String)} gives, for every interface: the stand-in shows as the plug. */
    @Override
    public Map<String, List<Qdisc>> allQdiscs() {
        Map<String, List<Qdisc>> out = new LinkedHashMap<>();
        delegate().allQdiscs().forEach((dev, qdiscs) -> out.put(dev, asPlug(qdiscs)));
        return out;
    }

    /** @return {@code qdiscs} with an explicit root pfifo reported as kind {@code plug} */
    private static List<Qdisc> asPlug(List<Qdisc> qdiscs) {
        List<Qdisc> out = new ArrayList<>();
        for (Qdisc q : qdiscs) {
            boolean standIn = q.parent() == ROOT && q.isExplicit() && q.kind().equals(KIND);
            out.add(standIn ? new Qdisc("plug", q.handle(), q.parent(), q.backlogBytes(), q.backlogPackets(), q.drops(),
                    q.sentBytes(), q.sentPackets()) : q);
        }
        return out;
    }

    /**
     * A stand-in on {@code backend}, running {@code tc} (when needed) with a 10 s timeout.
     *
     * @param backend the real traffic control (rtnetlink or tc)
     * @param namespace the network namespace the backend acts in, or null for this process's
     */
    public PlugStandIn(TrafficControl backend, String namespace) {
        this(backend, new CommandRunner(Duration.ofSeconds(10), null), namespace);
    }

    @Override
    public void addPlug(String ifb, long limitBytes) {
        Validate.ifb(ifb);
        Validate.limit(limitBytes);
        if (rootQdiscs != null) {
            rootQdiscs.add(ifb, KIND, OPTIONS);
        } else {
            tc("add pfifo stand-in plug to " + ifb, "add", ifb);
        }
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        if (rootQdiscs != null) {
            rootQdiscs.change(ifbs, KIND, OPTIONS);
            return;
        }
        OperationFailedException first = null;
        for (String ifb : ifbs) {
            try {
                tc("stand-in plug " + action.label() + " on " + ifb, "change", ifb);
            } catch (OperationFailedException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void tc(String operation, String verb, String ifb) {
        List<String> argv = new ArrayList<>(List.of("tc"));
        if (namespace != null) {
            argv.addAll(List.of("-n", namespace));
        }
        argv.addAll(List.of("qdisc", verb, "dev", ifb, "root", KIND, "limit", Integer.toString(LIMIT_PACKETS)));
        CommandRunner.Result r = runner.run("iproute2", operation, argv);
        if (!r.ok()) {
            throw OperationFailedException.ofCommand(operation, argv, r.exitCode(), r.stderr(), null, ifb);
        }
    }
}
