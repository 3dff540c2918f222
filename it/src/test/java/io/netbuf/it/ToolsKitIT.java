package io.netbuf.it;

import io.netbuf.testkit.compat.HostFixture;
import io.netbuf.testkit.compat.HostLockContract;
import io.netbuf.testkit.compat.KernelFeaturesContract;
import io.netbuf.testkit.compat.LinksContract;
import io.netbuf.testkit.compat.TrafficControlContract;
import org.junit.jupiter.api.Nested;

/**
 * The compatibility kit against the real kernel through the tools backend (ip/tc), each test in
 * its own network namespace; the flock host lock and the kernel-feature check run with it. The
 * plug part needs sch_plug and runs in the kernel lab ({@link PlugKitLabIT}).
 */
class ToolsKitIT {
    @Nested
    class Links extends LinksContract {
        @Override
        protected HostFixture createFixture() {
            return new ToolsHostFixture();
        }
    }

    @Nested
    class TrafficControl extends TrafficControlContract {
        @Override
        protected HostFixture createFixture() {
            return new ToolsHostFixture();
        }
    }

    @Nested
    class HostLock extends HostLockContract {
        @Override
        protected HostFixture createFixture() {
            return new ToolsHostFixture();
        }
    }

    @Nested
    class KernelFeatures extends KernelFeaturesContract {
        @Override
        protected HostFixture createFixture() {
            return new ToolsHostFixture();
        }
    }
}
