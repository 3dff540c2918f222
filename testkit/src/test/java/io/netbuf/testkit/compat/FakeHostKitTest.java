package io.netbuf.testkit.compat;

import io.netbuf.spi.KernelFeature;
import org.junit.jupiter.api.Nested;

/** The whole compatibility kit on {@link io.netbuf.testkit.FakeHost}, with every feature and with some missing. */
class FakeHostKitTest {
    @Nested
    class Links extends LinksContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture();
        }
    }

    @Nested
    class TrafficControl extends TrafficControlContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture();
        }
    }

    @Nested
    class Plug extends PlugContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture();
        }

        @Override
        protected void plugMissing() {
            throw new AssertionError("the fake host has every feature unless told otherwise");
        }
    }

    @Nested
    class HostLock extends HostLockContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture();
        }
    }

    @Nested
    class KernelFeatures extends KernelFeaturesContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture();
        }
    }

    @Nested
    class KernelFeaturesWhenTheyAreMissing extends KernelFeaturesContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture(KernelFeature.IFB, KernelFeature.PLUG, KernelFeature.MIRRED);
        }
    }

    @Nested
    class KernelFeaturesWithoutIngress extends KernelFeaturesContract {
        @Override
        protected HostFixture createFixture() {
            return new FakeHostFixture(KernelFeature.INGRESS, KernelFeature.U32);
        }
    }
}
