package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.ETH_P_ALL;
import static io.netbuf.impl.netlink.NetlinkConstants.ETH_P_IP;
import static io.netbuf.impl.netlink.NetlinkConstants.INGRESS_HANDLE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CREATE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_DUMP;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_EXCL;
import static io.netbuf.impl.netlink.NetlinkConstants.REDIRECT_PRIO;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_DELQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_DELTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_CHAIN;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_ACT;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_H_INGRESS;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_H_ROOT;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_PLUG_QOPT_ACTION;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_PLUG_QOPT_LIMIT;
import static io.netbuf.impl.netlink.NetlinkConstants.htons;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.Validate;
import io.netbuf.impl.libc.Errno;
import io.netbuf.spi.IngressFilter;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TrafficControl} over rtnetlink: qdiscs ({@code RTM_NEWQDISC}/{@code DELQDISC}/
 * {@code GETQDISC}), the u32 match-all filter with a mirred egress redirect
 * ({@code RTM_NEWTFILTER}/{@code GETTFILTER}) and the plug.
 *
 * <p>Plug actions are the checkpoint/commit hot path: all devices' messages go out in one send
 * with one ack each, the ifindex of each device is cached (and looked up again when the kernel
 * answers ENODEV), and in steady state a call allocates nothing (see {@link RootQdiscRequests}).
 * Acts in the network namespace of its {@link Rtnetlink} socket. Thread-safe.
 */
public final class NetlinkTrafficControl implements TrafficControl {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkTrafficControl.class);
    private static final String[] PLUG_OPERATIONS = {
        "plug BUFFER", "plug RELEASE_ONE", "plug RELEASE_INDEFINITE", "plug LIMIT"};

    private final Rtnetlink rtnl;
    private final NetlinkLinks links;
    private final RootQdiscRequests rootQdiscs;
    /** The plug's struct tc_plug_qopt; guarded by rtnl's monitor. */
    private final int[] plugWords = new int[2];

    /**
     * @param rtnl the socket to use (not closed by this object)
     * @param links the links port on the same socket, to resolve interface names
     */
    public NetlinkTrafficControl(Rtnetlink rtnl, NetlinkLinks links) {
        this.rtnl = rtnl;
        this.links = links;
        this.rootQdiscs = new RootQdiscRequests(rtnl, links);
    }

    /** @return the root qdisc requests on this object's socket, with its ifindex cache */
    RootQdiscRequests rootQdiscs() {
        return rootQdiscs;
    }

    @Override
    public List<Qdisc> qdiscs(String dev) {
        Validate.vif(dev);
        String operation = "list qdiscs of " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, null, null);
            NetlinkWriter w = rtnl.request(RTM_GETQDISC, NLM_F_DUMP);
            w.tcmsg(0, 0, 0, 0);
            w.end();
            return List.copyOf(rtnl.dump(operation, (b, off, len) -> TcDecoder.parseQdisc(b, off, len, ifindex)));
        }
    }

    @Override
    public Map<String, List<Qdisc>> allQdiscs() {
        String operation = "list the qdiscs of every interface";
        Map<Integer, String> names = new HashMap<>();
        for (Link link : links.all()) {
            names.put(link.index(), link.name());
        }
        Map<String, List<Qdisc>> out = new LinkedHashMap<>();
        synchronized (rtnl) {
            NetlinkWriter w = rtnl.request(RTM_GETQDISC, NLM_F_DUMP);
            w.tcmsg(0, 0, 0, 0);
            w.end();
            for (TcDecoder.DeviceQdisc q : rtnl.dump(operation, TcDecoder::parseAnyQdisc)) {
                String name = names.get(q.ifindex());
                if (name == null) {
                    LOG.debug("{}: a qdisc of ifindex {}, which appeared after the link listing", operation,
                            q.ifindex());
                    continue;
                }
                out.computeIfAbsent(name, n -> new ArrayList<>()).add(q.qdisc());
            }
        }
        out.replaceAll((name, list) -> List.copyOf(list));
        return out;
    }

    @Override
    public void addIngress(String dev) {
        Validate.vif(dev);
        String operation = "add ingress qdisc to " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, dev, null);
            NetlinkWriter w = rtnl.request(RTM_NEWQDISC, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            w.tcmsg(ifindex, INGRESS_HANDLE, TC_H_INGRESS, 0);
            w.string(TCA_KIND, "ingress");
            w.end();
            rtnl.ack(operation, dev, null);
        }
    }

    @Override
    public void deleteIngress(String dev) {
        Validate.vif(dev);
        String operation = "delete ingress qdisc of " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, dev, null);
            NetlinkWriter w = rtnl.request(RTM_DELQDISC, NLM_F_ACK);
            w.tcmsg(ifindex, INGRESS_HANDLE, TC_H_INGRESS, 0);
            w.end();
            rtnl.ack(operation, dev, null);
        }
    }

    @Override
    public void addRedirect(String vif, String ifb, Protocols protocols) {
        Validate.vif(vif);
        Validate.ifb(ifb);
        if (protocols == null) {
            throw new IllegalArgumentException("protocols must not be null");
        }
        String operation = "add redirect filter " + vif + " -> " + ifb;
        int ethertype = protocols == Protocols.ALL ? ETH_P_ALL : ETH_P_IP;
        synchronized (rtnl) {
            int vifIndex = resolve(vif, operation, vif, ifb);
            int ifbIndex = resolve(ifb, operation, vif, ifb);
            NetlinkWriter w = rtnl.request(RTM_NEWTFILTER, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            w.tcmsg(vifIndex, 0, INGRESS_HANDLE, (REDIRECT_PRIO << 16) | htons(ethertype));
            w.string(TCA_KIND, "u32");
            int options = w.nest(TCA_OPTIONS);
            w.u32MatchAll();
            int actions = w.nest(TCA_U32_ACT);
            int first = w.nest(1);
            w.string(TCA_ACT_KIND, "mirred");
            int mirred = w.nest(TCA_ACT_OPTIONS);
            w.mirredEgressRedirect(ifbIndex);
            w.endNest(mirred);
            w.endNest(first);
            w.endNest(actions);
            w.endNest(options);
            w.end();
            rtnl.ack(operation, vif, ifb);
        }
    }

    @Override
    public List<String> redirectTargets(String vif) {
        Validate.vif(vif);
        Set<String> names = new LinkedHashSet<>();
        synchronized (rtnl) {
            for (int[] targets : dumpFilters(vif, "list redirect filters of " + vif, TcDecoder::parseRedirects)) {
                for (int target : targets) {
                    String name = nameOf(vif, target);
                    if (name != null) {
                        names.add(name);
                    }
                }
            }
        }
        return List.copyOf(names);
    }

    @Override
    public List<IngressFilter> ingressFilters(String dev) {
        Validate.vif(dev);
        List<IngressFilter> out = new ArrayList<>();
        synchronized (rtnl) {
            for (TcDecoder.RawFilter f : dumpFilters(dev, "list ingress filters of " + dev, TcDecoder::parseFilter)) {
                String target = f.targets().length == 0 ? null : nameOf(dev, f.targets()[0]);
                out.add(new IngressFilter(f.kind(), f.prio(), f.protocol(), f.chain(), f.handle(), target,
                        f.matchAllRedirect()));
            }
        }
        return List.copyOf(out);
    }

    @Override
    public void deleteIngressFilter(String dev, IngressFilter filter) {
        Validate.vif(dev);
        Objects.requireNonNull(filter, "filter");
        String operation = "delete ingress filter " + filter.kind() + " prio " + filter.prio() + " handle "
                + Integer.toHexString(filter.handle()) + " of " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, dev, filter.target());
            boolean alone = filter.aloneAtItsPriority(dumpFilters(dev, operation, TcDecoder::parseFilter).stream().map(f -> new IngressFilter(
                    f.kind(), f.prio(), f.protocol(), f.chain(), f.handle(), null, false)).toList());
            NetlinkWriter w = rtnl.request(RTM_DELTFILTER, NLM_F_ACK);
            w.tcmsg(ifindex, alone ? 0 : filter.handle(), INGRESS_HANDLE,
                    (filter.prio() << 16) | htons(filter.protocol()));
            w.string(TCA_KIND, filter.kind());
            if (filter.chain() != 0) {
                w.u32(TCA_CHAIN, filter.chain());
            }
            w.end();
            rtnl.ack(operation, dev, filter.target());
        }
    }

    /** Dumps the ingress filters of {@code dev}; none when it has no ingress qdisc. Call holding rtnl. */
    private <T> List<T> dumpFilters(String dev, String operation, Rtnetlink.Parser<T> parser) {
        int ifindex = resolve(dev, operation, dev, null);
        NetlinkWriter w = rtnl.request(RTM_GETTFILTER, NLM_F_DUMP);
        w.tcmsg(ifindex, 0, INGRESS_HANDLE, 0);
        w.end();
        try {
            return rtnl.dump(operation, parser);
        } catch (OperationFailedException e) {
            if (e.errno().orElse(0) == Errno.EINVAL || e.errno().orElse(0) == Errno.ENOENT) {
                return List.of(); // no ingress qdisc: no ingress filters
            }
            throw e;
        }
    }

    /** @return the name of the device with {@code ifindex}, or null when it no longer exists */
    private String nameOf(String dev, int ifindex) {
        Link link = links.lookup(ifindex);
        if (link == null) {
            LOG.debug("{}: redirect to ifindex {}, which no longer exists", dev, ifindex);
            return null;
        }
        return link.name();
    }

    @Override
    public void addPlug(String ifb, long limitBytes) {
        Validate.ifb(ifb);
        Validate.limit(limitBytes);
        synchronized (rtnl) {
            plugWords[TC_PLUG_QOPT_ACTION] = PlugAction.LIMIT_CODE;
            plugWords[TC_PLUG_QOPT_LIMIT] = (int) limitBytes;
            rootQdiscs.add(ifb, "plug", plugWords, "add plug qdisc to " + ifb);
        }
    }

    @Override
    public void deleteRoot(String ifb) {
        Validate.ifb(ifb);
        String operation = "delete root qdisc of " + ifb;
        synchronized (rtnl) {
            int ifindex = resolve(ifb, operation, null, ifb);
            NetlinkWriter w = rtnl.request(RTM_DELQDISC, NLM_F_ACK);
            w.tcmsg(ifindex, 0, TC_H_ROOT, 0);
            w.end();
            rtnl.ack(operation, null, ifb);
        }
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        synchronized (rtnl) {
            plugWords[TC_PLUG_QOPT_ACTION] = action.code();
            plugWords[TC_PLUG_QOPT_LIMIT] = (int) action.limit();
            rootQdiscs.change(ifbs, "plug", plugWords, PLUG_OPERATIONS[action.code()]);
        }
    }

    /** Looks up a device's ifindex (refreshing the cache) or throws ENODEV. */
    private int resolve(String dev, String operation, String vif, String ifb) {
        return rootQdiscs.resolve(dev, operation, vif, ifb);
    }
}
