package io.netbuf.testkit;

import io.netbuf.spi.KernelFeature;
import io.netbuf.testkit.internal.PerTest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that hands each test a fresh {@link FakeHost}, set up the same way, and fails
 * the test when the host is not clean afterwards ({@link FakeHost#assertClean()}).
 *
 * <pre>{@code
 * @RegisterExtension
 * static final FakeHostExtension FAKE = FakeHostExtension.create().withVif("vif5.0").withIfbs(2);
 *
 * @Test
 * void commitReleasesTheEpoch(FakeHost host) {   // or FAKE.host()
 *     try (NetworkBuffer b = NetworkBuffer.forVif("vif5.0").on(host).attach()) { ... }
 * }
 * }</pre>
 *
 * Configure it before the first test runs; the configuration methods are not meant to be called
 * from tests.
 */
public final class FakeHostExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private final List<Consumer<FakeHost>> setup = new ArrayList<>();
    private boolean leakCheck = true;
    private final PerTest<FakeHost> hosts = new PerTest<>(FakeHostExtension.class, "host");

    private FakeHostExtension() {
    }

    /** @return an extension whose hosts start empty */
    public static FakeHostExtension create() {
        return new FakeHostExtension();
    }

    /**
     * @param names vifs every host gets (up)
     * @return this
     */
    public FakeHostExtension withVif(String... names) {
        List<String> copy = List.of(names);
        setup.add(h -> copy.forEach(h::addVif));
        return this;
    }

    /**
     * @param count IFBs {@code ifb0}.. every host gets (down)
     * @return this
     */
    public FakeHostExtension withIfbs(int count) {
        setup.add(h -> h.withIfbs(count));
        return this;
    }

    /**
     * @param feature a feature every host lacks
     * @return this
     */
    public FakeHostExtension withoutFeature(KernelFeature feature) {
        Objects.requireNonNull(feature, "feature");
        setup.add(h -> h.withoutFeature(feature));
        return this;
    }

    /**
     * @param tool a tool every host lacks (see {@link FakeHost#withoutTool})
     * @return this
     */
    public FakeHostExtension withoutTool(String tool) {
        Objects.requireNonNull(tool, "tool");
        setup.add(h -> h.withoutTool(tool));
        return this;
    }

    /**
     * @param path a xenstore node every host starts with
     * @param value its value
     * @return this
     */
    public FakeHostExtension withXenstore(String path, String value) {
        setup.add(h -> h.withXenstore(path, value));
        return this;
    }

    /**
     * @param customizer any other setup, run on each new host
     * @return this
     */
    public FakeHostExtension withSetup(Consumer<FakeHost> customizer) {
        setup.add(Objects.requireNonNull(customizer, "customizer"));
        return this;
    }

    /**
     * Turns the leak check after each test off (it is on by default).
     *
     * @return this
     */
    public FakeHostExtension withoutLeakCheck() {
        leakCheck = false;
        return this;
    }

    /**
     * @return the current test's host
     * @throws IllegalStateException outside a test
     */
    public FakeHost host() {
        return hosts.current();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        FakeHost host = FakeHost.create();
        setup.forEach(s -> s.accept(host));
        hosts.open(context, host);
    }

    @Override
    public void afterEach(ExtensionContext context) {
        FakeHost host = hosts.close(context);
        if (leakCheck && host != null) {
            host.assertClean();
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == FakeHost.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return hosts.get(context);
    }
}
