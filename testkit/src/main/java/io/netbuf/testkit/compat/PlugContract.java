package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Compatibility kit for the plug qdisc part of {@link TrafficControl}. Needs a kernel with
 * {@code sch_plug}: when the host reports {@link KernelFeature#PLUG} missing, {@link #plugMissing()}
 * decides (by default the tests are aborted, i.e. reported as skipped; a CI subclass overrides it to
 * fail instead).
 */
public abstract class PlugContract extends PortContract {
    private static final long LIMIT = 100_000;

    /** For subclasses. */
    protected PlugContract() {
    }

    /** Called before each test when the host lacks the plug qdisc; the default aborts the test. */
    protected void plugMissing() {
        Assumptions.abort("the kernel of " + host().description() + " has no plug qdisc (sch_plug)");
    }

    /** Checks the plug feature. */
    @BeforeEach
    final void requirePlug() {
        if (!host().features().missing(Set.of(KernelFeature.PLUG)).isEmpty()) {
            plugMissing();
        }
        fixture().addIfb(IFB);
        host().links().setUp(IFB, true);
    }

    private TrafficControl tc() {
        return host().trafficControl();
    }

    private Qdisc root(String dev) {
        List<Qdisc> roots = tc().qdiscs(dev).stream().filter(q -> q.parent() == TrafficControl.ROOT).toList();
        assertEquals(1, roots.size(), roots::toString);
        return roots.get(0);
    }

    @Test
    void addsARootPlugThatHoldsNothingYet() {
        tc().addPlug(IFB, LIMIT);
        Qdisc plug = root(IFB);
        assertEquals("plug", plug.kind());
        assertTrue(plug.isExplicit());
        assertEquals(0, plug.handle() & 0xFFFF, "a qdisc handle has no minor number");
        assertEquals(0, plug.backlogBytes());
        assertEquals(0, plug.backlogPackets());
        assertEquals(0, plug.drops());
    }

    @Test
    void refusesASecondRootPlug() {
        tc().addPlug(IFB, LIMIT);
        assertRefused(() -> tc().addPlug(IFB, LIMIT), EEXIST);
    }

    @Test
    void refusesAPlugOnAnUnknownDevice() {
        assertRefused(() -> tc().addPlug(MISSING, LIMIT), ENODEV);
    }

    @Test
    void acceptsEveryPlugAction() {
        tc().addPlug(IFB, LIMIT);
        for (PlugAction action : List.of(PlugAction.BUFFER, PlugAction.RELEASE_ONE, PlugAction.BUFFER,
                PlugAction.RELEASE_INDEFINITE, PlugAction.limit(LIMIT * 2), PlugAction.BUFFER)) {
            tc().plug(List.of(IFB), action);
        }
        assertEquals("plug", root(IFB).kind());
    }

    @Test
    void appliesAnActionToSeveralPlugs() {
        fixture().addIfb(IFB2);
        tc().addPlug(IFB, LIMIT);
        tc().addPlug(IFB2, LIMIT);
        tc().plug(List.of(IFB, IFB2), PlugAction.BUFFER);
        tc().plug(List.of(IFB, IFB2), PlugAction.RELEASE_ONE);
    }

    @Test
    void refusesAnActionWhereThereIsNoPlug() {
        fixture().addIfb(IFB2);
        tc().addPlug(IFB, LIMIT);
        assertRefused(() -> tc().plug(List.of(IFB2), PlugAction.BUFFER), ENOENT, EINVAL);
        assertRefused(() -> tc().plug(List.of(IFB2, IFB), PlugAction.BUFFER), ENOENT, EINVAL);
        assertRefused(() -> tc().plug(List.of(MISSING), PlugAction.RELEASE_ONE), ENODEV);
    }

    @Test
    void deletesThePlugAndTheKernelDefaultReturns() {
        tc().addPlug(IFB, LIMIT);
        tc().deleteRoot(IFB);
        assertFalse(root(IFB).isExplicit());
        assertRefused(() -> tc().deleteRoot(IFB), ENOENT);
    }

    @Test
    void addsAPlugToAnIfbThatIsDown() {
        host().links().setUp(IFB, false);
        tc().addPlug(IFB, LIMIT);
        assertEquals("plug", root(IFB).kind());
        host().links().setUp(IFB, true);
        assertEquals("plug", root(IFB).kind(), "the plug stays when the device goes up");
    }
}
