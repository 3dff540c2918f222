package io.netbuf.it;

import io.netbuf.testkit.compat.HostFixture;
import io.netbuf.testkit.compat.PlugContract;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;

/**
 * The compatibility kit's plug part against the lab's real kernel (which has {@code sch_plug}),
 * through both backends, each test in its own network namespace. Outside the lab these tests do
 * not run at all; inside it a missing plug fails them (never skipped).
 */
class PlugKitLabIT {
    @BeforeAll
    static void requireLab() {
        Lab.require();
    }

    @Nested
    class Tools extends PlugContract {
        @Override
        protected HostFixture createFixture() {
            return new ToolsHostFixture();
        }

        @Override
        protected void plugMissing() {
            Requirements.require(false, "the plug qdisc through " + host().description());
        }
    }

    @Nested
    class Netlink extends PlugContract {
        @Override
        protected HostFixture createFixture() {
            return new NetlinkHostFixture();
        }

        @Override
        protected void plugMissing() {
            Requirements.require(false, "the plug qdisc through " + host().description());
        }
    }
}
