package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CREATE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_EXCL;
import static io.netbuf.impl.netlink.NetlinkConstants.RTA_HDRLEN;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCMSG_LEN;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_H_ROOT;
import static io.netbuf.impl.netlink.NetlinkConstants.align;

import io.netbuf.OperationFailedException;
import io.netbuf.Validate;
import io.netbuf.impl.libc.Errno;
import io.netbuf.spi.Link;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Root qdisc requests of any kind with a raw options struct, over rtnetlink: create a device's root
 * qdisc with its options in one request, and change the options of many devices' root qdiscs in
 * one send with one ack each. The plug is one such kind ({@link NetlinkTrafficControl} creates and
 * acts on it through this class); on a kernel without sch_plug, tests and benchmarks use it to
 * send the same requests for a qdisc that stands in for the plug (a root {@code pfifo} or
 * {@code bfifo}).
 *
 * <p>The ifindex of each device is cached (and looked up again when the kernel answers ENODEV); a
 * change allocates nothing in steady state. Thread-safe: every request holds the socket's monitor.
 */
public final class RootQdiscRequests {
    private static final int MAX_KIND_LENGTH = 15;

    private final Rtnetlink rtnl;
    private final NetlinkLinks links;
    // Everything below is guarded by rtnl's monitor.
    private final Map<String, Integer> ifindexCache = new HashMap<>();
    private int[] indexes = new int[16];
    private int[] messageDevice = new int[16];
    private boolean[] retry = new boolean[16];
    private OperationFailedException[] failures = new OperationFailedException[16];

    RootQdiscRequests(Rtnetlink rtnl, NetlinkLinks links) {
        this.rtnl = rtnl;
        this.links = links;
    }

    /**
     * @param tc a traffic control over rtnetlink
     * @return the root qdisc requests on its socket, sharing its ifindex cache
     */
    public static RootQdiscRequests of(NetlinkTrafficControl tc) {
        return tc.rootQdiscs();
    }

    /**
     * Adds a root qdisc of the given kind with its options struct in the same request
     * ({@code RTM_NEWQDISC}, CREATE|EXCL, parent root).
     *
     * @param dev the device
     * @param kind the qdisc's kind
     * @param options the qdisc's options struct, as 32-bit words in host order
     * @throws OperationFailedException if the kernel refuses (e.g. the device has a root qdisc already)
     * @throws IllegalArgumentException for a bad device name or kind, before anything is sent
     */
    public void add(String dev, String kind, int[] options) {
        Validate.ifb(dev);
        checkKind(kind);
        add(dev, kind, options, "add " + kind + " qdisc to " + dev);
    }

    /**
     * Changes the options of the existing root qdisc of each device: one {@code RTM_NEWQDISC}
     * (REQUEST|ACK, parent root, no CREATE) per device, all in one send, one ack each. All devices
     * are attempted; the first failure is thrown afterwards, the others attached as suppressed.
     *
     * @param devs the devices
     * @param kind the root qdisc's kind (must match the existing qdisc)
     * @param options the qdisc's options struct, as 32-bit words in host order
     * @throws IllegalArgumentException for a bad kind, before anything is sent
     */
    public void change(List<String> devs, String kind, int[] options) {
        checkKind(kind);
        change(devs, kind, options, "change root qdisc");
    }

    /** {@link #add(String, String, int[])} of a kind known to be valid, failing as {@code operation}. */
    void add(String dev, String kind, int[] options, String operation) {
        synchronized (rtnl) {
            int ifindex = resolve(dev, operation, null, dev);
            NetlinkWriter w = rtnl.request(RTM_NEWQDISC,
                    NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            writeRoot(w, ifindex, kind, options);
            rtnl.ack(operation, null, dev);
        }
    }

    /** {@link #change(List, String, int[])} of a kind known to be valid, failing as {@code operation}. */
    void change(List<String> devs, String kind, int[] options, String operation) {
        int n = devs.size();
        if (n == 0) {
            return;
        }
        synchronized (rtnl) {
            ensureCapacity(n);
            int messageBytes = NLMSG_HDRLEN + TCMSG_LEN
                    + align(RTA_HDRLEN + kind.length() + 1)
                    + RTA_HDRLEN + 4 * options.length;
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
                    NetlinkWriter w = messages == 0 ? rtnl.request(RTM_NEWQDISC, NLM_F_ACK)
                            : rtnl.append(RTM_NEWQDISC, NLM_F_ACK);
                    writeRoot(w, indexes[next], kind, options);
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
    }

    /**
     * Looks up a device's ifindex, refreshing the cache. The caller holds the socket's monitor.
     *
     * @param dev the device
     * @param operation what is being done, for the failure
     * @param vif the vif concerned, or null
     * @param ifb the IFB concerned, or null
     * @return its ifindex
     * @throws OperationFailedException ENODEV when there is no such device
     */
    int resolve(String dev, String operation, String vif, String ifb) {
        Link link = links.lookup(dev);
        if (link == null) {
            ifindexCache.remove(dev);
            throw OperationFailedException.ofErrno(operation, Errno.ENODEV, "no device named " + dev, vif, ifb);
        }
        ifindexCache.put(dev, link.index());
        return link.index();
    }

    /** Writes the rest of a root qdisc message (tcmsg, kind, options) and ends it. */
    private static void writeRoot(NetlinkWriter w, int ifindex, String kind, int[] options) {
        w.tcmsg(ifindex, 0, TC_H_ROOT, 0);
        w.string(TCA_KIND, kind);
        w.words(TCA_OPTIONS, options);
        w.end();
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
            NetlinkWriter w = rtnl.request(RTM_NEWQDISC, NLM_F_ACK);
            writeRoot(w, ifindex, kind, options);
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
}
