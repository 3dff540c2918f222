package io.netbuf.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.netbuf.spi.KernelFeature;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

class FakeHostExtensionTest {
    @RegisterExtension
    final FakeHostExtension fake = FakeHostExtension.create().withVif("vif5.0").withIfbs(2)
            .withoutFeature(KernelFeature.PLUG).withXenstore("/libxl/5/remus/netbuf/0", "");

    @Test
    void resolvesTheConfiguredHostAsAParameterAndThroughTheGetter(FakeHost host) {
        assertSame(host, fake.host());
        assertTrue(host.links().find("vif5.0").orElseThrow().up());
        assertEquals(2, host.links().ifbs().size());
        assertEquals(Set.of(KernelFeature.PLUG), host.features().missing(Set.of(KernelFeature.values())));
        assertTrue(host.xenstore().exists("/libxl/5/remus/netbuf/0"));
        host.assertClean();
    }

    @Test
    void eachTestGetsAFreshHost(FakeHost host) {
        host.links().ifbs();
        assertEquals(List.of("links.ifbs"), host.calls(), "no calls from another test");
    }

    @Test
    void failsATestThatLeaves() {
        TestExecutionSummary summary = run(LeakySample.class);
        assertEquals(1, summary.getTestsSucceededCount(), "the clean sample passes");
        assertEquals(1, summary.getTestsFailedCount(), "the leaky sample fails");
        Throwable failure = summary.getFailures().get(0).getException();
        assertTrue(failure instanceof AssertionError, failure::toString);
        assertTrue(failure.getMessage().contains("added: qdisc vif5.0 ingress = ingress"), failure::getMessage);
    }

    @Test
    void theLeakCheckCanBeTurnedOff() {
        TestExecutionSummary summary = run(UncheckedSample.class);
        assertEquals(1, summary.getTestsSucceededCount());
        assertEquals(0, summary.getTestsFailedCount());
    }

    @Test
    void theGetterFailsOutsideATest() {
        assertThrows(IllegalStateException.class, () -> FakeHostExtension.create().host());
    }

    private static TestExecutionSummary run(Class<?> sample) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(sample)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        return listener.getSummary();
    }

    /** Run only through {@link #run}: one test leaves an ingress qdisc behind, one cleans up. */
    static class LeakySample {
        @RegisterExtension
        static final FakeHostExtension FAKE = FakeHostExtension.create().withVif("vif5.0");

        @Test
        void leaks(FakeHost host) {
            host.trafficControl().addIngress("vif5.0");
        }

        @Test
        void cleansUp(FakeHost host) {
            host.trafficControl().addIngress("vif5.0");
            host.trafficControl().deleteIngress("vif5.0");
        }
    }

    /** Run only through {@link #run}: leaks with the check off. */
    static class UncheckedSample {
        @RegisterExtension
        static final FakeHostExtension FAKE = FakeHostExtension.create().withVif("vif5.0").withoutLeakCheck();

        @Test
        void leaks() {
            FAKE.host().trafficControl().addIngress("vif5.0");
        }
    }
}
