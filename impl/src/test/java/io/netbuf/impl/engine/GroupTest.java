package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferGroup;
import io.netbuf.EpochState;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.PlugFailedException;
import io.netbuf.testkit.Call;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** All vifs of a domain checkpointed and committed with one call. */
class GroupTest {
    @Test
    void oneCallDrivesEveryMemberInOneBatch() {
        FakeHost host = FakeHost.create().withVif("vif5.0").withVif("vif5.1").withVif("vif5.2").withIfbs(3);
        List<NetworkBuffer> members = List.of(
                NetworkBuffer.forVif("vif5.0").on(host).attach(),
                NetworkBuffer.forVif("vif5.1").on(host).attach(),
                NetworkBuffer.forVif("vif5.2").on(host).attach());
        try (BufferGroup group = NetworkBuffer.group(members)) {
            Frame a = host.guest("vif5.0").sendIpv4(100);
            Frame b = host.guest("vif5.2").sendIpv6(100);
            host.clearCalls();
            group.checkpoint();
            group.commit();
            List<Call> plugCalls = host.callLog().stream()
                    .filter(c -> c.operation().equals("trafficControl.plug")).toList();
            assertEquals(2, plugCalls.size(), "one batched call per action: " + host.callLog());
            assertTrue(plugCalls.get(0).arguments().get(0).contains("ifb2"), plugCalls.toString());
            assertEquals(List.of(a), host.delivered("vif5.0"));
            assertEquals(List.of(b), host.delivered("vif5.2"));
            assertThrows(IllegalStateException.class, group::commit);
            members.get(1).checkpoint();
            host.clearCalls();
            assertThrows(IllegalStateException.class, group::checkpoint, "one member has an open epoch");
            assertTrue(host.calls().isEmpty(), "checked on every member before any kernel call");
        }
        assertTrue(members.stream().allMatch(NetworkBuffer::isClosed));
        host.assertClean();
    }

    @Test
    void membersMustBeDistinctAndFromOneHost() {
        FakeHost one = FakeHost.create().withVif("vif1.0").withIfbs(1);
        FakeHost two = FakeHost.create().withVif("vif2.0").withIfbs(1);
        try (NetworkBuffer a = NetworkBuffer.forVif("vif1.0").on(one).attach();
                NetworkBuffer b = NetworkBuffer.forVif("vif2.0").on(two).attach()) {
            assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.group(List.of(a, b)));
            assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.group(List.of(a, a)));
            assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.group(List.of()));
        }
    }
    @Test
    void badMembersAreRefusedTypedAndNamed() {
        FakeHost one = FakeHost.create().withVif("vif1.0").withVif("vif1.1").withIfbs(2);
        FakeHost two = FakeHost.create().withVif("vif2.0").withIfbs(1);
        try (NetworkBuffer a = NetworkBuffer.forVif("vif1.0").on(one).attach();
                NetworkBuffer b = NetworkBuffer.forVif("vif2.0").on(two).attach()) {
            NetworkBuffer closed = NetworkBuffer.forVif("vif1.1").on(one).attach();
            closed.close();
            assertThrows(InvalidConfigurationException.class, () -> NetworkBuffer.group(null));
            InvalidConfigurationException nullMember = assertThrows(InvalidConfigurationException.class,
                    () -> NetworkBuffer.group(Arrays.asList(a, null)));
            assertEquals("group member 1", nullMember.setting());
            assertThrows(InvalidConfigurationException.class,
                    () -> NetworkBuffer.group(Arrays.asList((NetworkBuffer) null)));
            InvalidConfigurationException twice = assertThrows(InvalidConfigurationException.class,
                    () -> NetworkBuffer.group(List.of(a, a)));
            assertTrue(twice.getMessage().contains("vif1.0"), twice.getMessage());
            InvalidConfigurationException otherHost = assertThrows(InvalidConfigurationException.class,
                    () -> NetworkBuffer.group(List.of(a, b)));
            assertTrue(otherHost.getMessage().contains("vif2.0"), otherHost.getMessage());
            InvalidConfigurationException closedMember = assertThrows(InvalidConfigurationException.class,
                    () -> NetworkBuffer.group(List.of(a, closed)));
            assertTrue(closedMember.getMessage().contains("vif1.1") && closedMember.getMessage().contains("closed"),
                    closedMember.getMessage());
        }
    }

    @Test
    void eachHandleReportsItsEpochState() {
        FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(1);
        NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0").on(host).attach();
        assertEquals(EpochState.OPEN, buffer.epochState());
        buffer.checkpoint();
        assertEquals(EpochState.CLOSED_EPOCH, buffer.epochState());
        buffer.commit();
        assertEquals(EpochState.OPEN, buffer.epochState());
        buffer.releaseIndefinitely();
        assertEquals(EpochState.RELEASED_INDEFINITELY, buffer.epochState());
        buffer.close();
        assertEquals(EpochState.CLOSED, buffer.epochState());
        host.assertClean();
    }

    /** Three members, vif5.N on ifbN. */
    private static List<NetworkBuffer> threeMembers(FakeHost host) {
        return List.of(
                NetworkBuffer.forVif("vif5.0").on(host).attach(),
                NetworkBuffer.forVif("vif5.1").on(host).attach(),
                NetworkBuffer.forVif("vif5.2").on(host).attach());
    }

    /** Asserts that the calls since the last clear are one plug action, for {@code ifb} only. */
    /** One plug call, for {@code ifb} only (a commit then reads that plug's counters: not a plug call). */
    private static void assertOnePlugCallFor(FakeHost host, String ifb) {
        List<Call> plugCalls = host.callLog().stream()
                .filter(c -> c.operation().equals("trafficControl.plug")).toList();
        assertEquals(1, plugCalls.size(), host.callLog().toString());
        assertEquals(ifb, plugCalls.get(0).arguments().get(0).replaceAll("[\\[\\] ]", ""),
                "only the member behind: " + host.callLog());
    }

    private static FakeHost threeVifs() {
        return FakeHost.create().withVif("vif5.0").withVif("vif5.1").withVif("vif5.2").withIfbs(3);
    }

    @Test
    void aPartlyRefusedCheckpointNamesTheVifAndTheStatesAndResyncFinishesIt() {
        FakeHost host = threeVifs();
        List<NetworkBuffer> members = threeMembers(host);
        try (BufferGroup group = NetworkBuffer.group(members)) {
            Frame held = host.guest("vif5.1").sendIpv4(100);
            host.trafficControl().deleteRoot("ifb1");
            PlugFailedException e = assertThrows(PlugFailedException.class, group::checkpoint);
            assertEquals(Optional.of("vif5.1"), e.vif());
            assertEquals(Optional.of("ifb1"), e.ifb());
            assertTrue(e.getMessage().contains("vif5.1 (ifb1)") && !e.getMessage().contains("null"), e.getMessage());
            assertTrue(e.getMessage().contains("vif5.0 CLOSED_EPOCH, vif5.1 OPEN, vif5.2 CLOSED_EPOCH"),
                    e.getMessage());
            assertEquals(Map.of(members.get(0), EpochState.CLOSED_EPOCH, members.get(1), EpochState.OPEN,
                    members.get(2), EpochState.CLOSED_EPOCH), group.epochStates());
            assertEquals(List.copyOf(members), List.copyOf(group.epochStates().keySet()), "in member order");
            assertEquals(Optional.empty(), group.epochState(), "the members differ");
            assertThrows(IllegalStateException.class, group::checkpoint);
            assertThrows(IllegalStateException.class, group::commit);

            host.trafficControl().addPlug("ifb1", NetworkBuffer.DEFAULT_LIMIT);
            host.clearCalls();
            group.resync(EpochState.CLOSED_EPOCH);
            assertOnePlugCallFor(host, "ifb1");
            assertEquals(Optional.of(EpochState.CLOSED_EPOCH), group.epochState());
            group.commit();
            assertEquals(Optional.of(EpochState.OPEN), group.epochState());
            host.clearCalls();
            group.resync(EpochState.OPEN);
            assertTrue(host.calls().isEmpty(), "all members already there: " + host.calls());
            assertTrue(host.delivered("vif5.1").isEmpty() || host.delivered("vif5.1").equals(List.of(held)));
        }
        host.assertClean();
    }

    @Test
    void aPartlyRefusedCommitIsFinishedByResyncOpen() {
        FakeHost host = threeVifs();
        List<NetworkBuffer> members = threeMembers(host);
        try (BufferGroup group = NetworkBuffer.group(members)) {
            group.checkpoint();
            host.trafficControl().deleteRoot("ifb2");
            PlugFailedException e = assertThrows(PlugFailedException.class, group::commit);
            assertEquals(Optional.of("vif5.2"), e.vif());
            assertTrue(e.getMessage().contains("vif5.0 OPEN, vif5.1 OPEN, vif5.2 CLOSED_EPOCH"), e.getMessage());
            assertEquals(Optional.empty(), group.epochState());
            host.trafficControl().addPlug("ifb2", NetworkBuffer.DEFAULT_LIMIT);
            host.clearCalls();
            group.resync(EpochState.OPEN);
            assertOnePlugCallFor(host, "ifb2");
            assertEquals(Optional.of(EpochState.OPEN), group.epochState());
        }
        host.assertClean();
    }

    @Test
    void releaseIndefinitelyIsAllowedInAnyMixOfStates() {
        FakeHost host = threeVifs();
        List<NetworkBuffer> members = threeMembers(host);
        try (BufferGroup group = NetworkBuffer.group(members)) {
            members.get(0).checkpoint();
            members.get(2).releaseIndefinitely();
            assertEquals(Optional.empty(), group.epochState());
            assertThrows(IllegalStateException.class, () -> group.resync(EpochState.OPEN),
                    "a released member cannot go back to OPEN without a checkpoint");
            assertThrows(InvalidConfigurationException.class, () -> group.resync(EpochState.CLOSED));
            assertThrows(InvalidConfigurationException.class, () -> group.resync(null));
            group.releaseIndefinitely();
            assertEquals(Optional.of(EpochState.RELEASED_INDEFINITELY), group.epochState());
            group.checkpoint();
            group.commit();
            assertEquals(Optional.of(EpochState.OPEN), group.epochState());
        }
        assertTrue(members.stream().allMatch(m -> m.epochState() == EpochState.CLOSED));
        host.assertClean();
    }

    @Test
    void aFailureNamingNoDeviceNamesEveryMember() {
        FakeHost host = threeVifs();
        List<NetworkBuffer> members = threeMembers(host);
        try (BufferGroup group = NetworkBuffer.group(members)) {
            host.faults().failNth("trafficControl.plug", 1);
            PlugFailedException e = assertThrows(PlugFailedException.class, group::checkpoint);
            for (String vif : List.of("vif5.0", "vif5.1", "vif5.2")) {
                assertTrue(e.getMessage().contains(vif), e.getMessage());
            }
            assertTrue(e.vif().isPresent() && e.ifb().isPresent(), e.getMessage());
            assertTrue(e.getMessage().contains("outcome unknown"), e.getMessage());
        }
        host.assertClean();
    }
}
