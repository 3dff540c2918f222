package io.netbuf.it;

import io.netbuf.testkit.compat.HostFixture;
import io.netbuf.testkit.compat.LinksContract;
import io.netbuf.testkit.compat.TrafficControlContract;
import org.junit.jupiter.api.Nested;

/**
 * The compatibility kit against the real kernel through the native (rtnetlink) backend, each
 * test in its own network namespace. The plug part needs sch_plug and runs in the kernel lab
 * ({@link PlugKitLabIT}).
 */
class NetlinkKitIT {
    @Nested
    class Links extends LinksContract {
        @Override
        protected HostFixture createFixture() {
            return new NetlinkHostFixture();
        }
    }

    @Nested
    class TrafficControl extends TrafficControlContract {
        @Override
        protected HostFixture createFixture() {
            return new NetlinkHostFixture();
        }
    }
}
