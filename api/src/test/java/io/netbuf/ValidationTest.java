package io.netbuf;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.Host;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Every bad value is refused with InvalidConfigurationException before any host call. */
class ValidationTest {
    private final List<String> hostCalls = new ArrayList<>();
    private final Host host = (Host) Proxy.newProxyInstance(Host.class.getClassLoader(), new Class<?>[] {Host.class},
            (proxy, method, args) -> {
                hostCalls.add(method.getName());
                throw new AssertionError("host called: " + method.getName());
            });

    static Stream<String> badVifs() {
        return Stream.of(null, "", "vif5.0-is-too-long", "a/b", "vif 5", "vif\t5", "vif5:0", "vif\u00005",
                "vif\u007f", "vif\u00e95", ".", "..", "\n");
    }

    static Stream<String> badPaths() {
        return Stream.of(null, "", "libxl/5", "/libxl/../5", "/libxl//5", "/libxl/5/", "/", "/libxl/5 0",
                "/libxl/5.0", "/libxl/5:0", "/libxl/\u00e9", "/" + "a".repeat(3072),
                // fits XenStore itself, but its child /hotplug-status would not (2,034..2,048 bytes)
                "/" + "a".repeat(2033), "/" + "a".repeat(2047),
                // the wire allows 3,072 bytes, Xen's daemons only 2,048 outside /local/domain/<domid>/
                "/" + "a".repeat(2048), "/" + "a".repeat(3057));
    }

    @org.junit.jupiter.api.Test
    void pathsMayBe2048BytesOrThatMuchBelowADomainsHome() {
        assertEquals(null, Validate.xenstorePathProblem("/" + "a".repeat(2047)));
        assertTrue(Validate.xenstorePathProblem("/" + "a".repeat(2048)).contains("2048"));
        String home = "/local/domain/12345/";
        assertEquals(null, Validate.xenstorePathProblem(home + "a".repeat(2048)));
        assertTrue(Validate.xenstorePathProblem(home + "a".repeat(2049)) != null);
        assertEquals(2048, Validate.maxXenstorePathBytes("/local/domain/x/" + "a".repeat(10)));
        assertEquals(3072, Validate.maxXenstorePathBytes("/local/domain/" + "9".repeat(2000) + "/a"));
    }

    @org.junit.jupiter.api.Test
    void theLongestXenbusPathLeavesRoomForEveryChild() {
        String longest = "/" + "a".repeat(Validate.MAX_XENBUS_PATH_BYTES - 1);
        assertEquals(longest, Validate.xenbusPath(longest));
        for (String child : Validate.XENBUS_CHILDREN) {
            assertEquals(null, Validate.xenstorePathProblem(longest + child), child);
        }
        assertEquals(2033, Validate.MAX_XENBUS_PATH_BYTES, "2048 less \"/hotplug-status\"");
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> Validate.xenbusPath(longest + "a"));
        assertTrue(e.rule().contains("/hotplug-status"), e.rule());
    }

    @ParameterizedTest
    @ValueSource(strings = {"/libxl/5/remus/netbuf/0", "/libxl/0/remus/netbuf/0", "/libxl/32751/remus/netbuf/12"})
    void libxlsOwnShapeIsAccepted(String path) {
        assertEquals(path, Validate.libxlNetbufPath("XENBUS_PATH", path, ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/local/domain/5/device/vif/0", "/libxl/5/remus/netbuf", "/libxl/5/remus/netbuf/0/x",
            "/libxl/x/remus/netbuf/0", "/libxl/05/remus/netbuf/0", "/libxl/5/remus/netbuf/-1", "/vm/5/remus/netbuf/0",
            "/libxl/5/remus/netbuf/12345678901"})
    void otherShapesAreRefusedAsLibxlPaths(String path) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> Validate.libxlNetbufPath("XENBUS_PATH", path, "; or allow it"));
        assertEquals("XENBUS_PATH", e.setting());
        assertTrue(e.rule().contains("/libxl/<domid>/remus/netbuf/<devid>") && e.rule().endsWith("; or allow it"),
                e.rule());
    }

    @ParameterizedTest
    @MethodSource("badVifs")
    void badVifIsRefusedBeforeAnyHostCall(String vif) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> NetworkBuffer.forVif(vif).on(host).attach());
        assertEquals("vif", e.setting());
        assertTrue(hostCalls.isEmpty(), "host was called: " + hostCalls);
    }

    @ParameterizedTest
    @MethodSource("badVifs")
    void badIfbForTeardownIsRefused(String ifb) {
        if (ifb == null) {
            return; // null means "unknown IFB" for teardown and is allowed
        }
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> NetworkBuffer.forVif("vif1.0").on(host).teardown(ifb));
        assertEquals("ifb", e.setting());
        assertTrue(hostCalls.isEmpty());
    }

    @ParameterizedTest
    @MethodSource("badPaths")
    void badXenbusPathIsRefusedBeforeAnyHostCall(String path) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> NetworkBuffer.forVif("vif5.0").on(host).xenbusPath(path).attach());
        assertEquals("xenbus path", e.setting());
        assertTrue(hostCalls.isEmpty());
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, Long.MIN_VALUE, 4_294_967_296L, Long.MAX_VALUE})
    void badLimitIsRefused(long limit) {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> NetworkBuffer.forVif("vif5.0").on(host).limit(limit).attach());
        assertEquals("limit", e.setting());
        assertTrue(hostCalls.isEmpty());
    }

    static Stream<Arguments> goodValues() {
        return Stream.of(
                Arguments.of((Consumer<NetworkBuffer.Builder>) b -> b.limit(1)),
                Arguments.of((Consumer<NetworkBuffer.Builder>) b -> b.limit(4_294_967_295L)),
                Arguments.of((Consumer<NetworkBuffer.Builder>) b -> b.xenbusPath("/libxl/5/remus/netbuf/0")),
                Arguments.of((Consumer<NetworkBuffer.Builder>) b -> b.xenbusPath("/a-b_c@D/" + "x".repeat(2000))),
                Arguments.of((Consumer<NetworkBuffer.Builder>) b -> b.lockTimeout(Duration.ZERO)));
    }

    @ParameterizedTest
    @MethodSource("goodValues")
    void boundaryValuesAreAccepted(Consumer<NetworkBuffer.Builder> setting) {
        NetworkBuffer.Builder builder = NetworkBuffer.forVif("vif123456789.0");
        assertDoesNotThrow(() -> setting.accept(builder));
        assertDoesNotThrow(builder::spec);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-PT1S"})
    void negativeLockTimeoutIsRefused(String timeout) {
        assertThrows(InvalidConfigurationException.class,
                () -> NetworkBuffer.forVif("vif1.0").lockTimeout(Duration.parse(timeout)));
        assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.forVif("vif1.0").lockTimeout(null));
        assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.forVif("vif1.0").protocols(null));
        assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.forVif("vif1.0").on(null));
    }

    @org.junit.jupiter.api.Test
    void messageNamesTheRuleAndEscapesControlCharacters() {
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> NetworkBuffer.forVif("vif\n1"));
        assertTrue(e.getMessage().contains("\\x0a"), e.getMessage());
        assertTrue(e.getMessage().contains("printable"), e.getMessage());
    }
}
