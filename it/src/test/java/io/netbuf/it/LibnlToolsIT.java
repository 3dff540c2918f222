package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingToolException;
import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.tools.PlugTool;
import io.netbuf.impl.tools.ToolsLinks;
import io.netbuf.impl.tools.ToolsTrafficControl;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.TrafficControl;
import io.netbuf.testkit.FakeXenstore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tools backend with the plug driven by libnl's {@code nl-qdisc-add} ({@link PlugTool#LIBNL}) on
 * this machine's real kernel, in a throwaway namespace. Here the plug cannot work: Debian's
 * {@code nl-qdisc-add} cannot load its plug module (FACTS §4) and the kernel has no {@code sch_plug}.
 * Whichever comes first, attach and every plug action must fail with the typed exception that names
 * the cause, and leave the namespace exactly as before. The working plug is tested in the kernel lab
 * ({@code LibnlPlugLabIT}).
 */
class LibnlToolsIT {
    private static final String VIF = "vif5.0";
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";
    /** Trusts the kernel, so that the plug step is really tried. */
    private static final KernelFeatures TRUSTING = wanted -> EnumSet.noneOf(KernelFeature.class);

    @TempDir
    Path dir;
    private Netns ns;
    private FakeXenstore xenstore;
    private boolean moduleLoadable;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        Requirements.require(LibnlPlugModule.toolInstalled(), "nl-qdisc-add (package libnl-utils)");
        moduleLoadable = LibnlPlugModule.loadable();
        Requirements.require(!moduleLoadable || !KernelState.kernelHasPlug(),
                "a host where the libnl plug fails (no usable plug module or no sch_plug): the lab tests the rest");
        ns = Netns.create("nbnl");
        ns.ip("link", "add", VIF, "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", VIF, "up");
        ns.ip("link", "set", "guest0", "up");
        ns.ip("link", "add", "ifb0", "type", "ifb");
        // An IFB's default root qdisc appears the first time it goes up and is never removed: start used.
        ns.ip("link", "set", "ifb0", "up");
        ns.ip("link", "set", "ifb0", "down");
        KernelState.awaitOperUp(ns, VIF);
        xenstore = new FakeXenstore();
        xenstore.write("/local/domain/5/name", "guest");
    }

    @AfterEach
    void tearDown() {
        if (ns != null) {
            ns.close();
        }
    }

    private TrafficControl libnl(CommandRunner runner) {
        return new ToolsTrafficControl(runner, ns.name(), PlugTool.LIBNL);
    }

    /** The plug step's failure says why, in the tool's terms. */
    private void assertNamesTheCause(OperationFailedException cause) {
        assertEquals(List.of("ip", "netns", "exec", ns.name(), "nl-qdisc-add"), cause.command().subList(0, 5));
        if (moduleLoadable) {
            assertTrue(cause.detail().contains("Unable to add qdisc"), cause.detail());
        } else {
            assertTrue(cause.detail().contains("cannot load libnl's plug module"), cause.detail());
            assertTrue(cause.detail().matches("(?s).*ln -s libnl-3 /usr/lib/[^ ]+/libnl\\).*"), cause.detail());
            assertTrue(cause.detail().contains("-Dnetbuf.plugTool=tc"), cause.detail());
        }
    }

    @Test
    void attachFailsTypedAndRollsEveryStepBack() throws Exception {
        CommandRunner runner = new CommandRunner();
        Host host = new BasicHost("tools, plug through nl-qdisc-add, in netns " + ns.name(),
                new ToolsLinks(runner, ns.name()), libnl(runner), xenstore, new FlockHostLock(dir), TRUSTING);
        String before = KernelState.dump(ns);

        PlugFailedException e = assertThrows(PlugFailedException.class,
                () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach());

        OperationFailedException cause = assertInstanceOf(OperationFailedException.class, e.getCause());
        assertNamesTheCause(cause);
        assertEquals("--limit=" + NetworkBuffer.DEFAULT_LIMIT, cause.command().get(cause.command().size() - 1),
                "the limit goes with the creation, never a limit-0 plug first");
        assertEquals(!moduleLoadable, e.getMessage().contains("ln -s libnl-3"), e.getMessage());
        KernelState.assertRestored(ns, before, "attach must leave the namespace exactly as before");
        assertEquals(Optional.empty(), xenstore.read(XENBUS + "/ifb"), "the IFB claim must be undone");
        assertEquals(Optional.of("error"), xenstore.read(XENBUS + "/hotplug-status"));
        assertTrue(xenstore.read(XENBUS + "/hotplug-error").orElseThrow().contains("nl-qdisc-add"));
        // the host lock was released: it can be taken at once (its file stays, see FlockHostLock)
        new FlockHostLock(dir).acquire(HostLock.PICK_IFB, Duration.ZERO).close();
    }

    @Test
    void everyActionFailsTypedAndChangesNothing() {
        TrafficControl tc = libnl(new CommandRunner());
        String before = KernelState.dump(ns);
        for (PlugAction action : List.of(PlugAction.BUFFER, PlugAction.RELEASE_ONE, PlugAction.RELEASE_INDEFINITE,
                PlugAction.limit(5000))) {
            OperationFailedException e = assertThrows(OperationFailedException.class,
                    () -> tc.plug(List.of("ifb0"), action), action.label());
            assertEquals(List.of("ip", "netns", "exec", ns.name(), "nl-qdisc-add"), e.command().subList(0, 5));
            assertTrue(e.command().contains("--update-only"), "an action never creates a plug: " + e.command());
            if (!moduleLoadable) {
                assertTrue(e.detail().contains("cannot load libnl's plug module"), e.detail());
            }
        }
        KernelState.assertRestored(ns, before, "failed actions must leave the namespace exactly as before");
    }

    @Test
    void aToolMissingInTheNamespaceIsAMissingToolNamingItsPackage() throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Files.createSymbolicLink(bin.resolve("ip"), Path.of("/bin/ip"));
        CommandRunner onlyIp = new CommandRunner(Duration.ofSeconds(10), Map.of("PATH", bin.toString()));
        String before = KernelState.dump(ns);
        MissingToolException e;
        try {
            e = assertThrows(MissingToolException.class,
                    () -> libnl(onlyIp).addPlug("ifb0", NetworkBuffer.DEFAULT_LIMIT));
        } finally {
            Files.delete(bin.resolve("ip"));
        }
        assertEquals("nl-qdisc-add", e.tool());
        assertEquals("libnl-utils", e.debianPackage());
        assertFalse(ns.tc("qdisc", "show", "dev", "ifb0").contains("plug"));
        KernelState.assertRestored(ns, before, "nothing ran, nothing changed");
    }
}
