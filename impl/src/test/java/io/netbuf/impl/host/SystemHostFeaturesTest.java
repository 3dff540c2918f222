package io.netbuf.impl.host;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.spi.KernelFeatures;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which kernel feature check a {@link SystemHost} uses. */
class SystemHostFeaturesTest {
    @TempDir
    Path dir;

    private SystemHost.Builder quiet() {
        return SystemHost.builder().backend(SystemHost.Backend.TOOLS)
                .environment(Map.of("XENSTORED_PATH", dir.resolve("no-socket").toString()))
                .lockDir(dir.resolve("locks"));
    }

    @Test
    void theRunningKernelsCheckByDefault() {
        try (SystemHost host = quiet().build()) {
            assertInstanceOf(HostKernelFeatures.class, host.features());
        }
    }

    @Test
    void aGivenCheckIsUsedAsIs() {
        KernelFeatures none = wanted -> EnumSet.copyOf(wanted);
        try (SystemHost host = quiet().kernelFeatures(none).build()) {
            assertSame(none, host.features());
        }
        assertThrows(InvalidConfigurationException.class, () -> quiet().kernelFeatures(null));
    }
}
