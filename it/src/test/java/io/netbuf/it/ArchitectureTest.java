package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.micrometer.NetbufMetrics;
import io.netbuf.testkit.FakeHost;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The import rules of {@code docs/ARCHITECTURE.md}, checked on the compiled classes of
 * {@code netbuf-api}, {@code netbuf-impl}, {@code netbuf-testkit} and {@code netbuf-micrometer} with the JDK's own
 * dependency analyser ({@code jdeps}), so that the house stays as drawn.
 */
class ArchitectureTest {
    private static final Pattern EDGE = Pattern.compile("^\\s+([\\w.$]+)\\s+->\\s+([\\w.$]+)\\s");

    /** Package, then the packages (outside the JDK) its classes use. */
    private static final Map<String, Set<String>> USES = new TreeMap<>();

    @BeforeAll
    static void readCompiledClasses() throws URISyntaxException {
        // netbuf-api is a named module that requires org.slf4j: jdeps resolves it on a module path.
        String slf4j = location(org.slf4j.Logger.class).toString();
        for (Class<?> module : List.of(NetworkBuffer.class, SystemHost.class, FakeHost.class, NetbufMetrics.class)) {
            String classes = location(module).toString();
            for (String line : jdeps("--multi-release", "17", "--module-path", slf4j, "-verbose:package", "-filter:none",
                    classes).split("\n")) {
                Matcher m = EDGE.matcher(line);
                if (m.find() && !m.group(2).startsWith("java.") && !m.group(2).startsWith("javax.")) {
                    USES.computeIfAbsent(m.group(1), p -> new TreeSet<>()).add(m.group(2));
                }
            }
        }
        assertTrue(USES.keySet().containsAll(Set.of("io.netbuf", "io.netbuf.spi", "io.netbuf.event",
                "io.netbuf.impl.engine", "io.netbuf.impl.host", "io.netbuf.impl.netlink", "io.netbuf.impl.libc",
                "io.netbuf.impl.jfr", "io.netbuf.testkit", "io.netbuf.micrometer")),
                "jdeps must have read every module; read: " + USES.keySet());
    }

    @Test
    void theApiUsesNothingButItselfAndSlf4j() {
        assertOnly(ArchitectureTest::isApi, u -> isApi(u) || u.startsWith("org.slf4j"));
    }

    @Test
    void theEngineKnowsOnlyThePortsAndTheFlightRecorderEvents() {
        assertOnly(p -> p.equals("io.netbuf.impl.engine"),
                u -> isApi(u) || u.equals("io.netbuf.impl.engine") || u.equals("io.netbuf.impl.jfr")
                        || u.startsWith("org.slf4j"));
    }

    @Test
    void theFlightRecorderEventsUseOnlyTheApiAndJfr() {
        assertOnly(p -> p.equals("io.netbuf.impl.jfr"),
                u -> isApi(u) || u.equals("io.netbuf.impl.jfr") || u.startsWith("jdk.jfr"));
    }

    @Test
    void theMicrometerBinderUsesOnlyTheApiAndMicrometer() {
        assertOnly(p -> p.equals("io.netbuf.micrometer"),
                u -> isApi(u) || u.equals("io.netbuf.micrometer") || u.startsWith("io.micrometer."));
    }

    @Test
    void backendsUseNoOtherBackendNorTheEngine() {
        for (String backend : List.of("netlink", "xenstore", "tools", "lock", "features", "proc")) {
            String own = "io.netbuf.impl." + backend;
            assertOnly(p -> p.equals(own), u -> u.equals(own) || u.equals("io.netbuf") || u.equals("io.netbuf.spi")
                    || u.equals("io.netbuf.impl.libc") || u.equals("io.netbuf.impl.exec")
                    || u.startsWith("org.slf4j"));
        }
    }

    @Test
    void onlyTheNativeLayerBindsLibc() {
        assertOnly(p -> !p.equals("io.netbuf.impl.libc"), u -> !u.startsWith("com.sun.jna"));
    }

    @Test
    void theTestkitNeverUsesTheImplementation() {
        assertOnly(p -> p.startsWith("io.netbuf.testkit"), u -> !u.startsWith("io.netbuf.impl")
                && !u.startsWith("io.netbuf.it"));
    }

    @Test
    void onlyTheHostComposesBackends() {
        Set<String> composers = new TreeSet<>();
        USES.forEach((p, uses) -> {
            long backends = uses.stream().filter(u -> !u.equals(p)).filter(ArchitectureTest::isBackend).count();
            if (backends > 0 && !isBackend(p) && p.startsWith("io.netbuf")) {
                composers.add(p);
            }
        });
        assertEquals(Set.of("io.netbuf.impl.host"), composers, "packages above the backends that use them");
    }

    private static Path location(Class<?> type) throws URISyntaxException {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** @return whether {@code p} is a package of the API module */
    private static boolean isApi(String p) {
        return p.equals("io.netbuf") || p.equals("io.netbuf.spi") || p.equals("io.netbuf.event");
    }

    private static boolean isBackend(String p) {
        return Set.of("io.netbuf.impl.netlink", "io.netbuf.impl.xenstore", "io.netbuf.impl.tools",
                "io.netbuf.impl.lock", "io.netbuf.impl.features", "io.netbuf.impl.proc").contains(p);
    }

    private static void assertOnly(Predicate<String> packages, Predicate<String> allowed) {
        Set<String> broken = new TreeSet<>();
        USES.forEach((p, uses) -> {
            if (packages.test(p)) {
                uses.stream().filter(allowed.negate()).forEach(u -> broken.add(p + " -> " + u));
            }
        });
        assertEquals(Set.of(), broken, "imports that docs/ARCHITECTURE.md does not allow");
    }

    private static String jdeps(String... args) {
        ToolProvider jdeps = ToolProvider.findFirst("jdeps")
                .orElseThrow(() -> new AssertionError("the JDK has no jdeps (module jdk.jdeps)"));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = jdeps.run(new PrintWriter(out), new PrintWriter(err), args);
        assertEquals(0, exit, "jdeps " + String.join(" ", args) + ": " + err);
        return out.toString();
    }
}
