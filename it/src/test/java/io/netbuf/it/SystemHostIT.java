package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingKernelFeatureException;
import io.netbuf.NetworkBuffer;
import io.netbuf.XenstoreException;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.KernelFeature;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The assembled real host, both backends, in a throwaway namespace: the whole attach path with
 * the real feature check, the real flock lock and (on a machine without xenstored) the absent
 * XenStore. Where the kernel has sch_plug the buffer attaches and closes to the exact prior
 * state; where it has not, attach refuses before touching anything.
 */
class SystemHostIT {
    @TempDir
    Path lockDir;
    private Netns ns;

    @BeforeEach
    void setUp() {
        ns = Netns.create("nbsys");
        ns.ip("link", "add", "vif5.0", "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", "vif5.0", "up");
        ns.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, "vif5.0");
    }

    @AfterEach
    void tearDown() {
        if (ns != null) {
            ns.close();
        }
    }

    private SystemHost host(SystemHost.Backend backend) {
        return SystemHost.builder().backend(backend).namespace(ns.name()).lockDir(lockDir).build();
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void attachesOrRefusesCleanlyOnTheRealKernel(SystemHost.Backend backend) {
        boolean plug = KernelState.kernelHasPlug();
        String before = KernelState.dump(ns);
        try (SystemHost host = host(backend)) {
            assertEquals(backend == SystemHost.Backend.NATIVE, host.isNative(), host.description());
            if (!plug) {
                MissingKernelFeatureException e = assertThrows(MissingKernelFeatureException.class,
                        () -> NetworkBuffer.forVif("vif5.0").on(host).attach());
                assertEquals(Set.of(KernelFeature.PLUG), e.missing());
                assertEquals(before, KernelState.dump(ns), "refused before any change");
                return;
            }
            try (NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").on(host).attach()) {
                assertTrue(host.links().find(buffer.ifb()).orElseThrow().isIfb());
                buffer.checkpoint();
                buffer.commit();
            }
            KernelState.assertRestored(ns, before, "close restores the namespace");
        }
    }

    @ParameterizedTest
    @EnumSource(value = SystemHost.Backend.class, names = {"NATIVE", "TOOLS"})
    void withoutXenstoredTheStoreIsEmptyAndRefusesWrites(SystemHost.Backend backend) {
        Requirements.require(System.getenv("XENSTORED_PATH") == null
                && !java.nio.file.Files.exists(Path.of("/var/run/xenstored/socket"))
                && !java.nio.file.Files.exists(Path.of("/dev/xen/xenbus")), "a host without xenstored");
        try (SystemHost host = host(backend)) {
            assertTrue(host.description().contains("xenstore absent"), host.description());
            assertFalse(host.xenstore().exists("/local/domain"));
            XenstoreException e = assertThrows(XenstoreException.class,
                    () -> host.xenstore().write("/libxl/5/remus/netbuf/0/ifb", "ifb0"));
            assertEquals("EIO", e.errno());
        }
    }
}
