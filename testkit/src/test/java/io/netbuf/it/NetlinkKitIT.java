package io.netbuf.it;

import io.netbuf.testkit.compat.HostFixture;
import io.netbuf.testkit.compat.LinksContract;
import io.netbuf.testkit.compat.PlugContract;
import io.netbuf.testkit.compat.TrafficControlContract;
import org.junit.jupiter.api.Nested;

/**
 * The compatibility kit against the real kernel through the native (rtnetlink) backend, each
 * test in its own network namespace. The plug part needs sch_plug: on kernels without it the kit
 * aborts those tests (reported as skipped, never as passed); the kernel-lab VM runs them.
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

    @Nested
    class Plug extends PlugContract {
        @Override
        protected HostFixture createFixture() {
            return new NetlinkHostFixture();
        }
    }
}
