package io.netbuf.impl.netlink;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.Validate;
import io.netbuf.impl.libc.Errno;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.LinkedHashSet;
import java.util.List;
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
            NetlinkWriter w = rtnl.request(NetlinkConstants.RTM_GETQDISC, NetlinkConstants.NLM_F_DUMP);
            w.tcmsg(0, 0, 0, 0);
            w.end();
            return List.copyOf(rtnl.dump(operation, (b, off, len) -> TcDecoder.parseQdisc(b, off, len, ifindex)));
        }
    }

    @Override
    public void addIngress(String dev) {
        Validate.vif(dev);
        String operation = "add ingress qdisc to " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, dev, null);
            NetlinkWriter w = rtnl.request(NetlinkConstants.RTM_NEWQDISC, NetlinkConstants.NLM_F_ACK | NetlinkConstants.NLM_F_CREATE | NetlinkConstants.NLM_F_EXCL);
            w.tcmsg(ifindex, NetlinkConstants.INGRESS_HANDLE, NetlinkConstants.TC_H_INGRESS, 0);
            w.string(NetlinkConstants.TCA_KIND, "ingress");
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
            NetlinkWriter w = rtnl.request(NetlinkConstants.RTM_DELQDISC, NetlinkConstants.NLM_F_ACK);
            w.tcmsg(ifindex, NetlinkConstants.INGRESS_HANDLE, NetlinkConstants.TC_H_INGRESS, 0);
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
        int ethertype = protocols == Protocols.ALL ? NetlinkConstants.ETH_P_ALL : NetlinkConstants.ETH_P_IP;
        synchronized (rtnl) {
            int vifIndex = resolve(vif, operation, vif, ifb);
            int ifbIndex = resolve(ifb, operation, vif, ifb);
            NetlinkWriter w = rtnl.request(NetlinkConstants.RTM_NEWTFILTER, NetlinkConstants.NLM_F_ACK | NetlinkConstants.NLM_F_CREATE | NetlinkConstants.NLM_F_EXCL);
            w.tcmsg(vifIndex, 0, NetlinkConstants.INGRESS_HANDLE, (NetlinkConstants.REDIRECT_PRIO << 16) | NetlinkConstants.htons(ethertype));
            w.string(NetlinkConstants.TCA_KIND, "u32");
            int options = w.nest(NetlinkConstants.TCA_OPTIONS);
            w.u32MatchAll();
            int actions = w.nest(NetlinkConstants.TCA_U32_ACT);
            int first = w.nest(1);
            w.string(NetlinkConstants.TCA_ACT_KIND, "mirred");
            int mirred = w.nest(NetlinkConstants.TCA_ACT_OPTIONS);
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
        String operation = "list redirect filters of " + vif;
        synchronized (rtnl) {
            int ifindex = resolve(vif, operation, vif, null);
            NetlinkWriter w = rtnl.request(NetlinkConstants.RTM_GETTFILTER, NetlinkConstants.NLM_F_DUMP);
            w.tcmsg(ifindex, 0, NetlinkConstants.INGRESS_HANDLE, 0);
            w.end();
            List<int[]> targets;
            try {
                targets = rtnl.dump(operation, TcDecoder::parseRedirects);
            } catch (OperationFailedException e) {
                if (e.errno().orElse(0) == Errno.EINVAL || e.errno().orElse(0) == Errno.ENOENT) {
                    return List.of(); // no ingress qdisc: no ingress filters
                }
                throw e;
            }
            Set<String> names = new LinkedHashSet<>();
            for (int[] ifindexes : targets) {
                for (int target : ifindexes) {
                    Link link = links.lookup(target);
                    if (link == null) {
                        LOG.debug("{}: redirect to ifindex {}, which no longer exists", vif, target);
                    } else {
                        names.add(link.name());
                    }
                }
            }
            return List.copyOf(names);
        }
    }

    @Override
    public void addPlug(String ifb, long limitBytes) {
        Validate.ifb(ifb);
        Validate.limit(limitBytes);
        synchronized (rtnl) {
            plugWords[NetlinkConstants.TC_PLUG_QOPT_ACTION] = PlugAction.LIMIT_CODE;
            plugWords[NetlinkConstants.TC_PLUG_QOPT_LIMIT] = (int) limitBytes;
            rootQdiscs.add(ifb, "plug", plugWords, "add plug qdisc to " + ifb);
        }
    }

    @Override
    public void deleteRoot(String ifb) {
        Validate.ifb(ifb);
        String operation = "delete root qdisc of " + ifb;
        synchronized (rtnl) {
            int ifindex = resolve(ifb, operation, null, ifb);
            NetlinkWriter w = rtnl.request(NetlinkConstants.RTM_DELQDISC, NetlinkConstants.NLM_F_ACK);
            w.tcmsg(ifindex, 0, NetlinkConstants.TC_H_ROOT, 0);
            w.end();
            rtnl.ack(operation, null, ifb);
        }
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        synchronized (rtnl) {
            plugWords[NetlinkConstants.TC_PLUG_QOPT_ACTION] = action.code();
            plugWords[NetlinkConstants.TC_PLUG_QOPT_LIMIT] = (int) action.limit();
            rootQdiscs.change(ifbs, "plug", plugWords, PLUG_OPERATIONS[action.code()]);
        }
    }

    /** Looks up a device's ifindex (refreshing the cache) or throws ENODEV. */
    private int resolve(String dev, String operation, String vif, String ifb) {
        return rootQdiscs.resolve(dev, operation, vif, ifb);
    }
}
