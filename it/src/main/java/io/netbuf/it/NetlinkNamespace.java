package io.netbuf.it;

import io.netbuf.impl.netlink.NetlinkLinks;
import io.netbuf.impl.netlink.NetlinkTrafficControl;
import io.netbuf.impl.netlink.Rtnetlink;
import java.time.Duration;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A throwaway network namespace per test with an rtnetlink socket inside it and the native links
 * and traffic-control backends on that socket. Register it on a test class:
 *
 * <pre>{@code
 * @RegisterExtension
 * final NetlinkNamespace kernel = new NetlinkNamespace("nbtc");
 * }</pre>
 *
 * Each test gets a fresh namespace (its {@code @BeforeEach} methods already see it); the socket is
 * closed and the namespace deleted after the test, whatever its outcome.
 */
public final class NetlinkNamespace implements BeforeEachCallback, AfterEachCallback {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final String prefix;
    private Netns netns;
    private Rtnetlink rtnl;
    private NetlinkLinks links;
    private NetlinkTrafficControl tc;

    /** @param prefix the start of the namespace's name, to tell whose it is in {@code ip netns list} */
    public NetlinkNamespace(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        Requirements.netns();
        netns = Netns.create(prefix);
        rtnl = Rtnetlink.open(netns.name(), TIMEOUT);
        links = new NetlinkLinks(rtnl);
        tc = new NetlinkTrafficControl(rtnl, links);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        try {
            if (rtnl != null) {
                rtnl.close();
            }
        } finally {
            rtnl = null;
            if (netns != null) {
                netns.close();
                netns = null;
            }
        }
    }

    /** @return the test's namespace */
    public Netns netns() {
        return netns;
    }

    /** @return the rtnetlink socket inside it */
    public Rtnetlink rtnl() {
        return rtnl;
    }

    /** @return the native links backend on that socket */
    public NetlinkLinks links() {
        return links;
    }

    /** @return the native traffic-control backend on that socket */
    public NetlinkTrafficControl tc() {
        return tc;
    }
}
