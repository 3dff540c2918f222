package io.netbuf.impl.netlink;

import io.netbuf.OperationFailedException;
import io.netbuf.Protocols;
import io.netbuf.Validate;
import io.netbuf.spi.Link;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
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
 * answers ENODEV), and in steady state a call allocates nothing. Acts in the network namespace
 * of its {@link Rtnetlink} socket. Thread-safe.
 */
public final class NetlinkTrafficControl implements TrafficControl {
    private static final Logger LOG = LoggerFactory.getLogger(NetlinkTrafficControl.class);
    private static final String[] PLUG_OPERATIONS = {
        "plug BUFFER", "plug RELEASE_ONE", "plug RELEASE_INDEFINITE", "plug LIMIT"};
    private static final int MAX_KIND_LENGTH = 15;

    private final Rtnetlink rtnl;
    private final NetlinkLinks links;
    // Everything below is guarded by rtnl's monitor.
    private final Map<String, Integer> ifindexCache = new HashMap<>();
    private final int[] plugWords = new int[2];
    private int[] indexes = new int[16];
    private int[] messageDevice = new int[16];
    private boolean[] retry = new boolean[16];
    private OperationFailedException[] failures = new OperationFailedException[16];

    /**
     * @param rtnl the socket to use (not closed by this object)
     * @param links the links port on the same socket, to resolve interface names
     */
    public NetlinkTrafficControl(Rtnetlink rtnl, NetlinkLinks links) {
        this.rtnl = rtnl;
        this.links = links;
    }

    @Override
    public List<Qdisc> qdiscs(String dev) {
        Validate.vif(dev);
        String operation = "list qdiscs of " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, null, null);
            NlWriter w = rtnl.request(Nl.RTM_GETQDISC, Nl.NLM_F_DUMP);
            w.tcmsg(0, 0, 0, 0);
            w.end();
            return List.copyOf(rtnl.dump(operation, (b, off, len) -> parseQdisc(b, off, len, ifindex)));
        }
    }

    @Override
    public void addIngress(String dev) {
        Validate.vif(dev);
        String operation = "add ingress qdisc to " + dev;
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, dev, null);
            NlWriter w = rtnl.request(Nl.RTM_NEWQDISC, Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL);
            w.tcmsg(ifindex, Nl.INGRESS_HANDLE, Nl.TC_H_INGRESS, 0);
            w.string(Nl.TCA_KIND, "ingress");
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
            NlWriter w = rtnl.request(Nl.RTM_DELQDISC, Nl.NLM_F_ACK);
            w.tcmsg(ifindex, Nl.INGRESS_HANDLE, Nl.TC_H_INGRESS, 0);
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
        int ethertype = protocols == Protocols.ALL ? Nl.ETH_P_ALL : Nl.ETH_P_IP;
        synchronized (rtnl) {
            int vifIndex = resolve(vif, operation, vif, ifb);
            int ifbIndex = resolve(ifb, operation, vif, ifb);
            NlWriter w = rtnl.request(Nl.RTM_NEWTFILTER, Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL);
            w.tcmsg(vifIndex, 0, Nl.INGRESS_HANDLE, (Nl.REDIRECT_PRIO << 16) | Nl.htons(ethertype));
            w.string(Nl.TCA_KIND, "u32");
            int options = w.nest(Nl.TCA_OPTIONS);
            w.u32MatchAll();
            int actions = w.nest(Nl.TCA_U32_ACT);
            int first = w.nest(1);
            w.string(Nl.TCA_ACT_KIND, "mirred");
            int mirred = w.nest(Nl.TCA_ACT_OPTIONS);
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
            NlWriter w = rtnl.request(Nl.RTM_GETTFILTER, Nl.NLM_F_DUMP);
            w.tcmsg(ifindex, 0, Nl.INGRESS_HANDLE, 0);
            w.end();
            List<int[]> targets;
            try {
                targets = rtnl.dump(operation, NetlinkTrafficControl::parseRedirects);
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
            plugWords[0] = PlugAction.LIMIT_CODE;
            plugWords[1] = (int) limitBytes;
            addRoot(ifb, "plug", plugWords, "add plug qdisc to " + ifb);
        }
    }

    /**
     * Adds a root qdisc of the given kind with its options struct in the same request
     * ({@code RTM_NEWQDISC}, CREATE|EXCL, parent root). This is what {@link #addPlug(String, long)}
     * does with kind {@code plug}; with {@code pfifo} and {@code {limit}} it creates the qdisc that
     * stands in for the plug on kernels without sch_plug (see {@link #changeRootOptions}).
     *
     * @param dev the device
     * @param kind the qdisc's kind
     * @param options the qdisc's options struct, as 32-bit words in host order
     * @throws OperationFailedException if the kernel refuses (e.g. the device has a root qdisc already)
     */
    public void addRootQdisc(String dev, String kind, int[] options) {
        Validate.ifb(dev);
        checkKind(kind);
        synchronized (rtnl) {
            addRoot(dev, kind, options, "add " + kind + " qdisc to " + dev);
        }
    }

    private void addRoot(String dev, String kind, int[] options, String operation) {
        int ifindex = resolve(dev, operation, null, dev);
        NlWriter w = rtnl.request(Nl.RTM_NEWQDISC, Nl.NLM_F_ACK | Nl.NLM_F_CREATE | Nl.NLM_F_EXCL);
        w.tcmsg(ifindex, 0, Nl.TC_H_ROOT, 0);
        w.string(Nl.TCA_KIND, kind);
        w.words(Nl.TCA_OPTIONS, options);
        w.end();
        rtnl.ack(operation, null, dev);
    }

    @Override
    public void deleteRoot(String ifb) {
        Validate.ifb(ifb);
        String operation = "delete root qdisc of " + ifb;
        synchronized (rtnl) {
            int ifindex = resolve(ifb, operation, null, ifb);
            NlWriter w = rtnl.request(Nl.RTM_DELQDISC, Nl.NLM_F_ACK);
            w.tcmsg(ifindex, 0, Nl.TC_H_ROOT, 0);
            w.end();
            rtnl.ack(operation, null, ifb);
        }
    }

    @Override
    public void plug(List<String> ifbs, PlugAction action) {
        synchronized (rtnl) {
            plugWords[0] = action.code();
            plugWords[1] = (int) action.limit();
            changeRoot(ifbs, "plug", plugWords, PLUG_OPERATIONS[action.code()]);
        }
    }

    /**
     * Changes the options of the existing root qdisc of each device: one {@code RTM_NEWQDISC}
     * (REQUEST|ACK, parent root, no CREATE) per device, all in one send, one ack each. This is
     * what {@link #plug(List, PlugAction)} does with kind {@code plug}; with another kind it
     * changes that qdisc, e.g. {@code pfifo} with {@code {limit}} (a {@code tc_fifo_qopt}),
     * which stands in for the plug on kernels without sch_plug. All devices are attempted; the
     * first failure is thrown afterwards, the others attached as suppressed.
     *
     * @param devs the devices
     * @param kind the root qdisc's kind (must match the existing qdisc)
     * @param options the qdisc's options struct, as 32-bit words in host order
     */
    public void changeRootOptions(List<String> devs, String kind, int[] options) {
        checkKind(kind);
        synchronized (rtnl) {
            changeRoot(devs, kind, options, "change root qdisc");
        }
    }

    private void changeRoot(List<String> devs, String kind, int[] options, String operation) {
        int n = devs.size();
        if (n == 0) {
            return;
        }
        ensureCapacity(n);
        int messageBytes = Nl.NLMSG_HDRLEN + Nl.TCMSG_LEN + Nl.align(Nl.RTA_HDRLEN + kind.length() + 1)
                + Nl.RTA_HDRLEN + 4 * options.length;
        for (int i = 0; i < n; i++) {
            failures[i] = null;
            retry[i] = false;
            indexes[i] = cachedIndex(devs.get(i), operation, i);
        }
        int next = 0;
        while (next < n) {
            int messages = 0;
            for (; next < n; next++) {
                if (indexes[next] <= 0) {
                    continue;
                }
                if (messages > 0 && rtnl.remaining() < messageBytes) {
                    break;
                }
                NlWriter w = messages == 0 ? rtnl.request(Nl.RTM_NEWQDISC, Nl.NLM_F_ACK)
                        : rtnl.append(Nl.RTM_NEWQDISC, Nl.NLM_F_ACK);
                w.tcmsg(indexes[next], 0, Nl.TC_H_ROOT, 0);
                w.string(Nl.TCA_KIND, kind);
                w.words(Nl.TCA_OPTIONS, options);
                w.end();
                messageDevice[messages++] = next;
            }
            if (messages > 0 && rtnl.exchangeAcks(operation) > 0) {
                collectFailures(devs, messages, operation);
            }
        }
        for (int i = 0; i < n; i++) {
            if (retry[i]) {
                retryOnce(devs.get(i), kind, options, operation, i);
            }
        }
        throwFirstFailure(n);
    }

    private void collectFailures(List<String> devs, int messages, String operation) {
        for (int m = 0; m < messages; m++) {
            int errno = rtnl.errno(m);
            if (errno == 0) {
                continue;
            }
            int dev = messageDevice[m];
            String name = devs.get(dev);
            if (errno == Errno.ENODEV) {
                // The cached ifindex is stale (the device was deleted, maybe recreated): look it up again.
                ifindexCache.remove(name);
                retry[dev] = true;
            } else {
                failures[dev] = OperationFailedException.ofErrno(operation, errno, rtnl.errorMessage(m), null, name);
            }
        }
    }

    private void retryOnce(String dev, String kind, int[] options, String operation, int i) {
        try {
            int ifindex = resolve(dev, operation, null, dev);
            NlWriter w = rtnl.request(Nl.RTM_NEWQDISC, Nl.NLM_F_ACK);
            w.tcmsg(ifindex, 0, Nl.TC_H_ROOT, 0);
            w.string(Nl.TCA_KIND, kind);
            w.words(Nl.TCA_OPTIONS, options);
            w.end();
            rtnl.ack(operation, null, dev);
        } catch (OperationFailedException e) {
            if (e.errno().orElse(0) == Errno.ENODEV) {
                ifindexCache.remove(dev);
            }
            failures[i] = e;
        }
    }

    private void throwFirstFailure(int n) {
        OperationFailedException first = null;
        for (int i = 0; i < n; i++) {
            if (failures[i] != null) {
                if (first == null) {
                    first = failures[i];
                } else {
                    first.addSuppressed(failures[i]);
                }
                failures[i] = null;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** @return the device's ifindex, or 0 after recording why it has none */
    private int cachedIndex(String dev, String operation, int i) {
        Integer cached = ifindexCache.get(dev);
        if (cached != null) {
            return cached;
        }
        try {
            Validate.ifb(dev);
            return resolve(dev, operation, null, dev);
        } catch (RuntimeException e) {
            failures[i] = e instanceof OperationFailedException ? (OperationFailedException) e
                    : OperationFailedException.of(operation, e.getMessage(), null, dev, e);
            return 0;
        }
    }

    /** Looks up a device's ifindex (refreshing the cache) or throws ENODEV. */
    private int resolve(String dev, String operation, String vif, String ifb) {
        Link link = links.lookup(dev);
        if (link == null) {
            ifindexCache.remove(dev);
            throw OperationFailedException.ofErrno(operation, Errno.ENODEV, "no device named " + dev, vif, ifb);
        }
        ifindexCache.put(dev, link.index());
        return link.index();
    }

    private void ensureCapacity(int n) {
        if (indexes.length < n) {
            int size = Math.max(n, indexes.length * 2);
            indexes = Arrays.copyOf(indexes, size);
            messageDevice = Arrays.copyOf(messageDevice, size);
            retry = Arrays.copyOf(retry, size);
            failures = Arrays.copyOf(failures, size);
        }
    }

    private static void checkKind(String kind) {
        if (kind == null || kind.isEmpty() || kind.length() > MAX_KIND_LENGTH) {
            throw new IllegalArgumentException("qdisc kind must be 1.." + MAX_KIND_LENGTH + " characters: " + kind);
        }
        for (int i = 0; i < kind.length(); i++) {
            char c = kind.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                throw new IllegalArgumentException("qdisc kind may only contain a-z, 0-9 and _: " + kind);
            }
        }
    }

    /**
     * Parses an {@code RTM_NEWQDISC} of a dump.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @param ifindex the device wanted
     * @return the qdisc, or null for another device or message type
     */
    static Qdisc parseQdisc(ByteBuffer b, int off, int len, int ifindex) {
        if (NlReader.type(b, off) != Nl.RTM_NEWQDISC) {
            return null;
        }
        int body = off + Nl.NLMSG_HDRLEN;
        int end = off + len;
        if (end - body < Nl.TCMSG_LEN) {
            throw new MalformedReplyException("RTM_NEWQDISC of " + len + " bytes has no tcmsg");
        }
        if (b.getInt(body + 4) != ifindex) {
            return null;
        }
        int handle = b.getInt(body + 8);
        int parent = b.getInt(body + 12);
        int attrs = body + Nl.TCMSG_LEN;
        int kindAt = NlReader.find(b, attrs, end, Nl.TCA_KIND);
        if (kindAt < 0) {
            throw new MalformedReplyException("RTM_NEWQDISC without TCA_KIND");
        }
        long sentBytes = 0;
        long sentPackets = 0;
        long backlogBytes = 0;
        long backlogPackets = 0;
        long drops = 0;
        int stats2 = NlReader.find(b, attrs, end, Nl.TCA_STATS2);
        if (stats2 >= 0) {
            int from = NlReader.payload(stats2);
            int to = NlReader.payloadEnd(b, stats2);
            int basic = NlReader.find(b, from, to, Nl.TCA_STATS_BASIC);
            if (basic >= 0) { // struct gnet_stats_basic {u64 bytes; u32 packets;}
                NlReader.requirePayload(b, basic, 12, "TCA_STATS_BASIC");
                sentBytes = b.getLong(NlReader.payload(basic));
                sentPackets = Integer.toUnsignedLong(b.getInt(NlReader.payload(basic) + 8));
            }
            int pkt64 = NlReader.find(b, from, to, Nl.TCA_STATS_PKT64);
            if (pkt64 >= 0) {
                NlReader.requirePayload(b, pkt64, 8, "TCA_STATS_PKT64");
                sentPackets = b.getLong(NlReader.payload(pkt64));
            }
            int queue = NlReader.find(b, from, to, Nl.TCA_STATS_QUEUE);
            if (queue >= 0) { // struct gnet_stats_queue {u32 qlen, backlog, drops, requeues, overlimits;}
                NlReader.requirePayload(b, queue, 20, "TCA_STATS_QUEUE");
                int p = NlReader.payload(queue);
                backlogPackets = Integer.toUnsignedLong(b.getInt(p));
                backlogBytes = Integer.toUnsignedLong(b.getInt(p + 4));
                drops = Integer.toUnsignedLong(b.getInt(p + 8));
            }
        } else {
            int stats = NlReader.find(b, attrs, end, Nl.TCA_STATS);
            if (stats >= 0) { // struct tc_stats {u64 bytes; u32 packets, drops, overlimits, bps, pps, qlen, backlog;}
                NlReader.requirePayload(b, stats, 36, "TCA_STATS");
                int p = NlReader.payload(stats);
                sentBytes = b.getLong(p);
                sentPackets = Integer.toUnsignedLong(b.getInt(p + 8));
                drops = Integer.toUnsignedLong(b.getInt(p + 12));
                backlogPackets = Integer.toUnsignedLong(b.getInt(p + 28));
                backlogBytes = Integer.toUnsignedLong(b.getInt(p + 32));
            }
        }
        return new Qdisc(NlReader.string(b, kindAt), handle, parent, backlogBytes, backlogPackets, drops, sentBytes,
                sentPackets);
    }

    /**
     * Parses an {@code RTM_NEWTFILTER} of a dump for u32 filters' mirred egress redirects.
     *
     * @param b the buffer
     * @param off the message
     * @param len its length
     * @return the target ifindexes of the filter's redirects, or null when it has none
     */
    static int[] parseRedirects(ByteBuffer b, int off, int len) {
        if (NlReader.type(b, off) != Nl.RTM_NEWTFILTER) {
            return null;
        }
        int body = off + Nl.NLMSG_HDRLEN;
        int end = off + len;
        if (end - body < Nl.TCMSG_LEN) {
            throw new MalformedReplyException("RTM_NEWTFILTER of " + len + " bytes has no tcmsg");
        }
        int attrs = body + Nl.TCMSG_LEN;
        int kindAt = NlReader.find(b, attrs, end, Nl.TCA_KIND);
        int optionsAt = NlReader.find(b, attrs, end, Nl.TCA_OPTIONS);
        if (kindAt < 0 || optionsAt < 0 || !NlReader.stringEquals(b, kindAt, "u32")) {
            return null;
        }
        int actionsAt = NlReader.find(b, NlReader.payload(optionsAt), NlReader.payloadEnd(b, optionsAt),
                Nl.TCA_U32_ACT);
        if (actionsAt < 0) {
            return null;
        }
        List<Integer> targets = new ArrayList<>();
        int actionsEnd = NlReader.payloadEnd(b, actionsAt);
        for (int action = NlReader.attr(b, NlReader.payload(actionsAt), actionsEnd); action >= 0;
                action = NlReader.nextAttr(b, action, actionsEnd)) {
            int from = NlReader.payload(action);
            int to = NlReader.payloadEnd(b, action);
            int actKind = NlReader.find(b, from, to, Nl.TCA_ACT_KIND);
            int actOptions = NlReader.find(b, from, to, Nl.TCA_ACT_OPTIONS);
            if (actKind < 0 || actOptions < 0 || !NlReader.stringEquals(b, actKind, "mirred")) {
                continue;
            }
            int parms = NlReader.find(b, NlReader.payload(actOptions), NlReader.payloadEnd(b, actOptions),
                    Nl.TCA_MIRRED_PARMS);
            if (parms < 0) {
                continue;
            }
            NlReader.requirePayload(b, parms, Nl.TC_MIRRED_LEN, "TCA_MIRRED_PARMS");
            int p = NlReader.payload(parms);
            if (b.getInt(p + 20) == Nl.TCA_EGRESS_REDIR) {
                targets.add(b.getInt(p + 24));
            }
        }
        return targets.isEmpty() ? null : targets.stream().mapToInt(Integer::intValue).toArray();
    }
}
