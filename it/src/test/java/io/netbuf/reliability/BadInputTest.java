package io.netbuf.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.Protocols;
import io.netbuf.spi.BufferSpec;
import io.netbuf.testkit.FakeHost;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every public entry point given each bad value of the foundation issue's list: an
 * {@link InvalidConfigurationException} before any host operation (the fake host's call log stays
 * empty).
 */
class BadInputTest {
    static final List<String> BAD_VIFS = List.of("", "a234567890123456", "vif5/0", "vif 5", "vif\t5", "vif5:0",
            "vif\u00015", "vif\u007f", "vif5\n", ".", "..", "vif5.\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9");
    static final List<String> BAD_PATHS = List.of("", "libxl/5/remus/netbuf/0", "/libxl/../5", "/libxl//5",
            "/libxl/5/", "/libxl/5 x", "/libxl/5$", "/libxl/5\u0000", "/libxl/5/\u00e9", "/" + "a".repeat(3072));
    static final List<Long> BAD_LIMITS = List.of(0L, -1L, 4_294_967_296L, Long.MIN_VALUE, Long.MAX_VALUE);

    private static FakeHost host() {
        return FakeHost.create().withVif("vif5.0").withIfbs(1).withXenstore("/local/domain/5/name", "g");
    }

    /** One entry point with one bad value, acting on {@code host}. */
    record Case(String what, Consumer<FakeHost> call) {
        @Override
        public String toString() {
            return what;
        }
    }

    static Stream<Arguments> cases() {
        List<Case> out = new ArrayList<>();
        List<String> vifs = new ArrayList<>(BAD_VIFS);
        vifs.add(null);
        for (String vif : vifs) {
            String shown = vif == null ? "null" : vif.replaceAll("\\p{Cntrl}", "?");
            out.add(new Case("forVif(" + shown + ")", h -> NetworkBuffer.forVif(vif).on(h).attach()));
            out.add(new Case("teardown(ifb=" + shown + ")", h -> {
                if (vif == null) {
                    throw InvalidConfigurationException.of("ifb", null, "null is 'unknown' here, not bad");
                }
                NetworkBuffer.forVif("vif5.0").on(h).teardown(vif);
            }));
            out.add(new Case("spec(vif=" + shown + ")", h -> new BufferSpec(vif, 1, null, Protocols.ALL,
                    Duration.ofSeconds(1), true)));
        }
        List<String> paths = new ArrayList<>(BAD_PATHS);
        paths.add(null);
        for (String path : paths) {
            String shown = path == null ? "null" : path.length() > 40 ? path.length() + " chars" : path;
            out.add(new Case("xenbusPath(" + shown + ").attach", h -> NetworkBuffer.forVif("vif5.0").on(h)
                    .xenbusPath(path).attach()));
            out.add(new Case("xenbusPath(" + shown + ").adopt", h -> NetworkBuffer.forVif("vif5.0").on(h)
                    .xenbusPath(path).adopt()));
            out.add(new Case("xenbusPath(" + shown + ").teardown", h -> NetworkBuffer.forVif("vif5.0").on(h)
                    .xenbusPath(path).teardown("ifb0")));
        }
        for (long limit : BAD_LIMITS) {
            out.add(new Case("limit(" + limit + ")", h -> NetworkBuffer.forVif("vif5.0").on(h).limit(limit).attach()));
            out.add(new Case("spec(limit=" + limit + ")", h -> new BufferSpec("vif5.0", limit, null, Protocols.ALL,
                    Duration.ofSeconds(1), true)));
        }
        for (Duration timeout : new Duration[] {null, Duration.ofSeconds(-1)}) {
            out.add(new Case("lockTimeout(" + timeout + ")", h -> NetworkBuffer.forVif("vif5.0").on(h)
                    .lockTimeout(timeout).attach()));
        }
        out.add(new Case("protocols(null)", h -> NetworkBuffer.forVif("vif5.0").on(h).protocols(null).attach()));
        out.add(new Case("on(null)", h -> NetworkBuffer.forVif("vif5.0").on(null).attach()));
        out.add(new Case("reap(null)", h -> NetworkBuffer.reap(null)));
        out.add(new Case("group(null)", h -> NetworkBuffer.group(null)));
        out.add(new Case("group([])", h -> NetworkBuffer.group(List.of())));
        return out.stream().map(Arguments::of);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void isRefusedTypedWithNoHostCall(Case c) {
        FakeHost host = host();
        assertThrows(InvalidConfigurationException.class, () -> c.call().accept(host), c.what());
        assertEquals(List.of(), host.calls(), c.what() + " reached the host");
        host.assertClean();
    }

    @Test
    void anOpenBufferRefusesEveryBadLimitWithoutAHostCall() {
        FakeHost host = host();
        try (NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").on(host).attach()) {
            for (long limit : BAD_LIMITS) {
                host.clearCalls();
                assertThrows(InvalidConfigurationException.class, () -> buffer.changeLimit(limit));
                assertEquals(List.of(), host.calls(), "changeLimit(" + limit + ")");
                assertEquals(NetworkBuffer.DEFAULT_LIMIT, buffer.limit());
            }
        }
    }
}
