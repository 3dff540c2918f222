package io.netbuf.testkit.compat;

import io.netbuf.spi.Host;
import io.netbuf.spi.KernelFeature;
import io.netbuf.testkit.FakeHost;

/** Runs the compatibility kit against {@link FakeHost}. */
final class FakeHostFixture implements HostFixture {
    private final FakeHost host;

    FakeHostFixture(KernelFeature... without) {
        host = FakeHost.create();
        for (KernelFeature f : without) {
            host.withoutFeature(f);
        }
    }

    @Override
    public Host host() {
        return host;
    }

    @Override
    public void addVif(String name) {
        host.addVif(name);
    }

    @Override
    public void addIfb(String name) {
        host.addIfb(name);
    }

    @Override
    public void close() {
        // nothing outside the JVM to release
    }
}
