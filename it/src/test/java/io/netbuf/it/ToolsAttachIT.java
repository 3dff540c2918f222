package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.MissingKernelFeatureException;
import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.tools.ToolsLinks;
import io.netbuf.impl.tools.ToolsTrafficControl;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.testkit.FakeXenstore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's attach on a real kernel through the tools backend, in a throwaway namespace with
 * a veth standing for the vif. Where the kernel has no sch_plug (as on the project's build
 * machines) the plug step really fails, so the rollback of every earlier step (IFB up, ingress,
 * redirect, claim, a created IFB) is tested against the kernel's own state.
 */
class ToolsAttachIT {
    private static final String XENBUS = "/libxl/5/remus/netbuf/0";

    @TempDir
    Path lockDir;
    private Netns ns;
    private FakeXenstore xenstore;
    private boolean kernelHasPlug;

    @BeforeEach
    void setUp() {
        Requirements.netns();
        kernelHasPlug = KernelState.kernelHasPlug();
        ns = Netns.create("nbat");
        ns.ip("link", "add", "vif5.0", "type", "veth", "peer", "name", "guest0");
        ns.ip("link", "set", "vif5.0", "up");
        ns.ip("link", "set", "guest0", "up");
        KernelState.awaitOperUp(ns, "vif5.0");
        KernelState.awaitOperUp(ns, "guest0");
        xenstore = new FakeXenstore();
        xenstore.write("/local/domain/5/name", "guest");
    }

    @AfterEach
    void tearDown() {
        if (ns != null) {
            ns.close();
        }
    }

    /** A host whose feature check trusts the kernel: the plug step is then tried for real. */
    private Host host(KernelFeatures features) {
        CommandRunner runner = new CommandRunner();
        ToolsLinks links = new ToolsLinks(runner, ns.name());
        ToolsTrafficControl tc = new ToolsTrafficControl(runner, ns.name());
        FlockHostLock lock = new FlockHostLock(lockDir);
        return new BasicHost("tools in netns " + ns.name(), links, tc, xenstore, lock, features);
    }

    private static final KernelFeatures TRUSTING = wanted -> EnumSet.noneOf(KernelFeature.class);

    @Test
    void attachWithAnExistingIfbRollsBackCompletelyWhenThePlugFails() throws Exception {
        ns.ip("link", "add", "ifb0", "type", "ifb");
        // The kernel gives a device its default root qdisc (noop -> pfifo_fast, handle 0) the first
        // time it goes up and keeps it after down; nobody can undo that, so start from a used IFB.
        ns.ip("link", "set", "ifb0", "up");
        ns.ip("link", "set", "ifb0", "down");
        attachAndCheck();
    }

    @Test
    void attachThatCreatedItsIfbDeletesItAgainWhenThePlugFails() throws Exception {
        attachAndCheck();
    }

    private void attachAndCheck() throws Exception {
        String before = KernelState.dump(ns);
        NetworkBuffer.Builder builder = NetworkBuffer.forVif("vif5.0").xenbusPath(XENBUS).on(host(TRUSTING));
        if (kernelHasPlug) {
            try (NetworkBuffer buffer = builder.attach()) {
                assertTrue(buffer.ifb().startsWith("ifb"));
                assertEquals(Optional.of(buffer.ifb()), xenstore.read(XENBUS + "/ifb"));
            }
            KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
            return;
        }
        PlugFailedException e = assertThrows(PlugFailedException.class, builder::attach);
        OperationFailedException cause = assertInstanceOf(OperationFailedException.class, e.getCause());
        assertTrue(cause.command().contains("plug"), cause.command().toString());
        KernelState.assertRestored(ns, before, "attach must leave the namespace exactly as before");
        assertEquals(Optional.empty(), xenstore.read(XENBUS + "/ifb"), "the IFB claim must be undone");
        assertEquals(Optional.of("error"), xenstore.read(XENBUS + "/hotplug-status"));
        assertTrue(xenstore.read(XENBUS + "/hotplug-error").orElseThrow().contains("plug"));
        // the host lock was released: it can be taken at once (its file stays, see FlockHostLock)
        new FlockHostLock(lockDir).acquire(HostLock.PICK_IFB, Duration.ZERO).close();
    }

    @Test
    void withTheRealFeatureCheckAttachRefusesBeforeTouchingAnythingWhenThePlugIsMissing() {
        ns.ip("link", "add", "ifb0", "type", "ifb");
        String before = KernelState.dump(ns);
        NetworkBuffer.Builder builder = NetworkBuffer.forVif("vif5.0").xenbusPath(XENBUS)
                .on(host(new HostKernelFeatures()));
        if (kernelHasPlug) {
            builder.attach().close();
            KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
            return;
        }
        MissingKernelFeatureException e = assertThrows(MissingKernelFeatureException.class, builder::attach);
        assertEquals(Set.of(KernelFeature.PLUG), e.missing());
        assertTrue(e.getMessage().contains("sch_plug"), e.getMessage());
        KernelState.assertRestored(ns, before, "the namespace must be exactly as before");
        assertFalse(xenstore.exists(XENBUS + "/ifb"));
    }

}
