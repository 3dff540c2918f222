package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.BufferGroup;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.Call;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.Frame;
import java.util.List;
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
}
