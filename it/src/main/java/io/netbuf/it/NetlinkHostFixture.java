package io.netbuf.it;

import io.netbuf.OperationFailedException;
import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.Rtnetlink;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import java.nio.file.Path;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.compat.HostFixture;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The compatibility kit's fixture for the real kernel driven through the native (rtnetlink)
 * backend: a fresh network namespace per test with an rtnetlink socket opened inside it (vifs
 * are veth pairs there) and an in-memory xenstore. The plug feature is probed in the namespace
 * by creating a plug on a scratch IFB through the backend itself.
 */
final class NetlinkHostFixture implements HostFixture {
    private static final AtomicInteger PEERS = new AtomicInteger();

    private final Netns ns;
    private final Rtnetlink rtnl;
    private final Host host;

    NetlinkHostFixture() {
        Requirements.netns();
        ns = Netns.create("nbnlkit");
        try {
            rtnl = Rtnetlink.open(ns.name(), Duration.ofSeconds(5));
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        NetlinkLinks links = new NetlinkLinks(rtnl);
        NetlinkTrafficControl tc = new NetlinkTrafficControl(rtnl, links);
        // The lock is not under test here; lock files are removed on release, so the shared directory stays empty.
        FlockHostLock lock = new FlockHostLock(Path.of(System.getProperty("java.io.tmpdir"), "netbuf-kit-locks"));
        host = new BasicHost("native (rtnetlink) in netns " + ns.name(), links, tc, new FakeXenstore(), lock,
                new PlugProbe(links, tc));
    }

    @Override
    public Host host() {
        return host;
    }

    @Override
    public void addVif(String name) {
        String peer = "nbpeer" + PEERS.incrementAndGet();
        ns.ip("link", "add", name, "type", "veth", "peer", "name", peer);
        ns.ip("link", "set", peer, "up");
        ns.ip("link", "set", name, "up");
    }

    @Override
    public void addIfb(String name) {
        ns.addQuietIfb(name);
    }

    @Override
    public void close() {
        rtnl.close();
        ns.close();
    }

    /** Reports only the plug qdisc, which the kit asks about; the namespace has the rest built in. */
    private record PlugProbe(NetlinkLinks links, NetlinkTrafficControl tc) implements KernelFeatures {
        private static final String SCRATCH = "nbprobe0";

        @Override
        public Set<KernelFeature> missing(Set<KernelFeature> wanted) {
            Set<KernelFeature> missing = EnumSet.noneOf(KernelFeature.class);
            if (wanted.contains(KernelFeature.PLUG)) {
                links.createIfb(SCRATCH);
                try {
                    tc.addPlug(SCRATCH, 1000);
                } catch (OperationFailedException e) {
                    missing.add(KernelFeature.PLUG);
                } finally {
                    links.deleteIfb(SCRATCH);
                }
            }
            return missing;
        }
    }
}
