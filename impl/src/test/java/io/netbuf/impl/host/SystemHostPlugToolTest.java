package io.netbuf.impl.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.impl.tools.PlugTool;
import io.netbuf.impl.tools.ToolsTrafficControl;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Selecting libnl's {@code nl-qdisc-add} for the plug: builder and system property. */
class SystemHostPlugToolTest {
    private static final String PROPERTY = "netbuf.plugTool";

    @TempDir
    Path dir;

    @AfterEach
    void clearProperty() {
        System.clearProperty(PROPERTY);
    }

    /** A builder that touches nothing on the host when built: no xenstored, a private lock directory. */
    private SystemHost.Builder quiet(SystemHost.Builder builder) {
        return builder.environment(Map.of("XENSTORED_PATH", dir.resolve("no-socket").toString()))
                .lockDir(dir.resolve("locks"));
    }

    @Test
    void libnlDrivesThePlugThroughTheToolsEvenWithTheAutoBackend() {
        try (SystemHost host = quiet(SystemHost.builder().plugTool(PlugTool.LIBNL)).build()) {
            assertFalse(host.isNative(), "nl-qdisc-add is a tool: the tools backend is used");
            ToolsTrafficControl tc = assertInstanceOf(ToolsTrafficControl.class, host.trafficControl());
            assertEquals(PlugTool.LIBNL, tc.plugTool());
            assertTrue(host.description().contains("nl-qdisc-add"), host.description());
        }
        try (SystemHost host = quiet(SystemHost.builder().backend(SystemHost.Backend.TOOLS)).build()) {
            assertEquals(PlugTool.TC, ((ToolsTrafficControl) host.trafficControl()).plugTool(), "tc by default");
            assertFalse(host.description().contains("nl-qdisc-add"), host.description());
        }
    }

    @Test
    void libnlWithTheNativeBackendOrNoToolIsRefused() {
        SystemHost.Builder both = quiet(SystemHost.builder().backend(SystemHost.Backend.NATIVE)
                .plugTool(PlugTool.LIBNL));
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class, both::build);
        assertTrue(e.getMessage().contains("NATIVE"), e.getMessage());
        assertThrows(InvalidConfigurationException.class, () -> SystemHost.builder().plugTool(null));
    }

    @Test
    void theSystemPropertySelectsTheTool() {
        System.setProperty(PROPERTY, " LibNL ");
        try (SystemHost host = quiet(SystemHost.fromSystemProperties()).build()) {
            assertEquals(PlugTool.LIBNL, ((ToolsTrafficControl) host.trafficControl()).plugTool());
        }
        System.setProperty(PROPERTY, "nl");
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                SystemHost::fromSystemProperties);
        assertTrue(e.getMessage().contains("[tc, libnl]"), e.getMessage());
    }
}
