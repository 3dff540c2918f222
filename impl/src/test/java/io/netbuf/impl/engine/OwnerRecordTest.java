package io.netbuf.impl.engine;

import static io.netbuf.impl.engine.EngineFixtures.VIF;
import static io.netbuf.impl.engine.EngineFixtures.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.ReapFinding;
import io.netbuf.ReapFinding.Kind;
import io.netbuf.ReapReport;
import io.netbuf.Validate;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeProcesses;
import io.netbuf.testkit.Frame;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The owner record beside each claim, and the buffers whose owner died: found by reap, released
 * first and removed by apply; a live or unknowable owner is never a finding.
 */
class OwnerRecordTest {
    private static final String OWNER_NODE = XENBUS + "/netbuf-owner";

    /**
     * @return the same host as another JVM sees it (its handles are not this JVM's live handles)
     */
    private static Host otherJvm(FakeHost host) {
        return new BasicHost("other JVM", host.links(), host.trafficControl(), host.xenstore(), host.lock(),
                host.features(), host.processes());
    }

    /** A buffer attached for a controller process that is then SIGKILLed with an epoch held. */
    private static FakeHost orphaned(ProcessIdentity[] owner) {
        FakeHost host = EngineFixtures.domain5(2);
        host.markClean();
        owner[0] = host.processes().start();
        NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner[0].pid())
                .on(otherJvm(host)).attach();
        host.guest(VIF).send(Frame.ipv4(1, 100));
        buffer.checkpoint();
        host.guest(VIF).send(Frame.ipv4(2, 100));
        host.processes().kill(owner[0]);
        return host;
    }

    @Test
    void theAttachRecordsItsOwnerBesideTheClaimAndCloseRemovesIt() {
        FakeHost host = EngineFixtures.domain5(1);
        host.markClean();
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
            ProcessIdentity self = host.processes().self().orElseThrow();
            assertEquals(Optional.of(self.encode()), host.xenstore().read(OWNER_NODE));
        }
        host.assertClean();
    }

    @Test
    void anIfbTheAttachCreatedIsSaidSoInTheRecord() {
        FakeHost host = EngineFixtures.domain5(0);
        try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach()) {
            assertTrue(host.xenstore().read(OWNER_NODE).orElseThrow().endsWith(" ifb=created"));
        }
    }

    @Test
    void anOwnerPidOfNoProcessIsRefusedBeforeAnythingChanges() {
        FakeHost host = EngineFixtures.domain5(1);
        host.markClean();
        assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS)
                .ownerPid(Validate.MAX_PID).on(host).attach());
        assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.forVif(VIF).ownerPid(-1));
        // Nothing but what every failed attach with a xenbus path records for libxl to read.
        assertEquals(List.of("added: xenstore " + XENBUS + "/hotplug-error = invalid owner pid \"4194304\": no such "
                + "process (it must drive the buffer once attached)", "added: xenstore " + XENBUS
                + "/hotplug-status = error"), host.leaks());
    }

    @Test
    void aBufferWhoseOwnerDiedIsFoundAndApplyReleasesItFirstThenRemovesEverything() {
        ProcessIdentity[] owner = new ProcessIdentity[1];
        FakeHost host = orphaned(owner);
        assertEquals(List.of(), host.delivered(VIF), "the guest's output is held");
        ReapReport report = NetworkBuffer.reap(host);
        ReapFinding finding = new ReapFinding(Kind.ORPHANED_BUFFER, XENBUS, VIF, "ifb0", owner[0].encode());
        assertEquals(List.of(finding), report.findings());
        assertTrue(finding.describe().contains("owner is dead"), finding.describe());
        host.clearCalls();
        assertEquals(List.of(finding), report.apply());
        assertEquals(List.of(1L, 2L), host.delivered(VIF).stream().map(Frame::id).toList(),
                "what the plug held went out");
        List<String> calls = host.calls();
        int release = indexOf(calls, "trafficControl.plug");
        int redirect = indexOf(calls, "trafficControl.deleteIngressFilter");
        assertTrue(release >= 0 && release < redirect, "the plug is released before the redirect goes: " + calls);
        host.assertClean();
        assertTrue(NetworkBuffer.reap(host).isClean());
    }

    @Test
    void anOrphanedBufferOnAnIfbNetbufCreatedLosesTheDevice() {
        FakeHost host = EngineFixtures.domain5(0);
        host.markClean();
        ProcessIdentity owner = host.processes().start();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner.pid()).on(host).attach();
        host.processes().kill(owner);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(Kind.ORPHANED_BUFFER, report.findings().get(0).kind());
        report.apply();
        host.assertClean();
    }

    @Test
    void aLiveOwnerIsNoFinding() {
        FakeHost host = EngineFixtures.domain5(1);
        ProcessIdentity owner = host.processes().start();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner.pid()).on(host).attach();
        assertTrue(NetworkBuffer.reap(host).isClean());
    }

    @Test
    void aPidReusedByAProcessStartedLaterIsADeadOwner() {
        FakeHost host = EngineFixtures.domain5(1);
        ProcessIdentity owner = host.processes().start();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner.pid()).on(host).attach();
        ProcessIdentity reuser = host.processes().reusePid(owner);
        assertEquals(owner.pid(), reuser.pid());
        assertEquals(List.of(Kind.ORPHANED_BUFFER),
                NetworkBuffer.reap(host).findings().stream().map(ReapFinding::kind).toList());
    }

    @Test
    void anOwnerOfAnotherPidNamespaceOrBootIsUnknownAndNoFinding() {
        FakeHost host = EngineFixtures.domain5(1);
        ProcessIdentity owner = host.processes().start();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner.pid()).on(host).attach();
        host.processes().kill(owner);
        host.xenstore().write(OWNER_NODE, FakeProcesses.inOtherNamespace(owner).encode());
        assertTrue(NetworkBuffer.reap(host).isClean(), "another namespace");
        host.xenstore().write(OWNER_NODE, FakeProcesses.inOtherBoot(owner).encode());
        assertTrue(NetworkBuffer.reap(host).isClean(), "another boot");
        host.xenstore().write(OWNER_NODE, "not an owner");
        assertTrue(NetworkBuffer.reap(host).isClean(), "an unreadable record");
    }

    @Test
    void aClaimWithoutOwnerRecordIsAsBefore() {
        FakeHost host = EngineFixtures.domain5(1);
        ProcessIdentity owner = host.processes().start();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner.pid()).on(host).attach();
        host.processes().kill(owner);
        host.xenstore().rm(OWNER_NODE); // Xen's own script, or an older netbuf
        assertTrue(NetworkBuffer.reap(host).isClean());
    }

    @Test
    void aBufferAdoptedBetweenScanAndApplyIsLeftAlone() {
        ProcessIdentity[] owner = new ProcessIdentity[1];
        FakeHost host = orphaned(owner);
        ReapReport report = NetworkBuffer.reap(host);
        assertEquals(1, report.findings().size());
        // A restarted controller (this process) takes the buffer over: it is alive, so apply leaves it.
        NetworkBuffer adopted = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt();
        assertEquals(Optional.of(host.processes().self().orElseThrow().encode()), host.xenstore().read(OWNER_NODE));
        assertEquals(List.of(), report.apply());
        assertTrue(host.plugState("ifb0").isPresent());
        assertEquals(List.of("ifb0"), host.trafficControl().redirectTargets(VIF));
        adopted.close();
        assertFalse(host.xenstore().exists(OWNER_NODE), "close removes the owner record with the claim");
    }

    @Test
    void aBufferReattachedForAnotherDeadOwnerIsNotRemovedByTheOldReport() {
        ProcessIdentity[] owner = new ProcessIdentity[1];
        FakeHost host = orphaned(owner);
        ReapReport report = NetworkBuffer.reap(host);
        ProcessIdentity other = host.processes().start();
        host.xenstore().write(OWNER_NODE, other.encode());
        host.processes().kill(other);
        assertEquals(List.of(), report.apply(), "the finding named the first owner");
        assertTrue(host.plugState("ifb0").isPresent());
        assertEquals(1, NetworkBuffer.reap(host).apply().size(), "a new scan finds and removes it");
    }

    @Test
    void adoptionKeepsTheCreatedFlagSoCloseDeletesTheIfb() {
        FakeHost host = EngineFixtures.domain5(0);
        host.markClean();
        ProcessIdentity owner = host.processes().start();
        NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).ownerPid(owner.pid()).on(otherJvm(host)).attach();
        host.processes().kill(owner);
        try (NetworkBuffer adopted = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).adopt()) {
            assertTrue(host.xenstore().read(OWNER_NODE).orElseThrow().endsWith(" ifb=created"));
        }
        host.assertClean();
    }

    private static int indexOf(List<String> calls, String operation) {
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).contains(operation)) {
                return i;
            }
        }
        return -1;
    }
}
