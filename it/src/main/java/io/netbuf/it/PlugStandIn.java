package io.netbuf.it;

import io.netbuf.Protocols;
import io.netbuf.Validate;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.RootQdiscRequests;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Stands in for {@code sch_plug} on kernels without it (like the build machines): every
 * {@link TrafficControl} call goes to the real backend except the plug's, which use a real root
 * {@code bfifo} qdisc (a byte-limited FIFO) on the IFB instead. The bfifo is created with
 * {@code tc qdisc add ... root bfifo limit N}, reported by {@link #qdiscs} as kind {@code plug},
 * and every plug action becomes a real kernel round trip on it: with the native backend an
 * rtnetlink change of its options (kind and options built here, sent through the backend's
 * {@link RootQdiscRequests}: its socket and ifindex cache), with the
 * tools backend {@code tc qdisc change ... bfifo limit N}. Buffering itself is not modelled:
 * what this proves is the state handling (which IFB has a "plug", what is created and removed,
 * what fails when a device disappears), never packet holding. Thread-safe.
 */
final class PlugStandIn implements TrafficControl {
    /** The stand-in's qdisc kind. */
    static final String KIND = "bfifo";

    private final TrafficControl real;
    private final RootQdiscRequests rootQdiscs;
    private final CommandRunner runner;
    private final String namespace;
    private final Map<String, Long> limits = new ConcurrentHashMap<>();

    /**
     * @param real the backend the other calls go to
     * @param namespace the network namespace the backend acts in
     */
    PlugStandIn(TrafficControl real, String namespace) {
        this.real = real;
        this.rootQdiscs = real instanceof NetlinkTrafficControl n ? RootQdiscRequests.of(n) : null;
        this.runner = new CommandRunner();
        this.namespace = namespace;
    }

    @Override
    public List<Qdisc> qdiscs(String dev) {
        List<Qdisc> out = new ArrayList<>();
        for (Qdisc q : real.qdiscs(dev)) {
            boolean standIn = q.isExplicit() && q.parent() == ROOT && q.kind().equals(KIND);
            out.add(standIn ? new Qdisc("plug", q.handle(), q.parent(), q.backlogBytes(), q.backlogPackets(), q.drops(),
                    q.sentBytes(), q.sentPackets()) : q);
        }
        return out;
    }

    @Override
    public void addPlug(String ifb, long limitBytes) {
        Validate.ifb(ifb);
        Validate.limit(limitBytes);
        runner.check("iproute2", "add stand-in plug (bfifo) to " + ifb, CommandRunner.argv("tc", "-n", namespace,
                "qdisc", "add", "dev", ifb, "root", "handle", "1:", KIND, "limit", Long.toString(limitBytes)));
        limits.put(ifb, limitBytes);
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        for (String ifb : ifbs) {
            long limit = action.code() == PlugAction.LIMIT_CODE ? action.limit()
                    : limits.getOrDefault(ifb, 10_000_000L);
            if (rootQdiscs != null) {
                // a struct tc_fifo_qopt {u32 limit;}
                rootQdiscs.change(List.of(ifb), KIND, new int[] {(int) limit});
            } else {
                runner.check("iproute2", "stand-in plug " + action.label() + " on " + ifb, CommandRunner.argv("tc",
                        "-n", namespace, "qdisc", "change", "dev", ifb, "root", KIND, "limit", Long.toString(limit)));
            }
            limits.put(ifb, limit);
        }
    }

    @Override
    public void deleteRoot(String ifb) {
        real.deleteRoot(ifb);
        limits.remove(ifb);
    }

    @Override
    public void addIngress(String dev) {
        real.addIngress(dev);
    }

    @Override
    public void deleteIngress(String dev) {
        real.deleteIngress(dev);
    }

    @Override
    public void addRedirect(String vif, String ifb, Protocols protocols) {
        real.addRedirect(vif, ifb, protocols);
    }

    @Override
    public List<String> redirectTargets(String vif) {
        return real.redirectTargets(vif);
    }
}
