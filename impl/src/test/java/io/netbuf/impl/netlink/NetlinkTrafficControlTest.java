package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_IFNAME;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CREATE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_EXCL;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_REQUEST;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_H_ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.netlink.FakeChannel.Msg;
import io.netbuf.spi.PlugAction;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Batching, ifindex caching and failure handling of plug actions, against a scripted kernel. */
class NetlinkTrafficControlTest {
    /** name -> ifindex of the devices the fake kernel has. */
    private final Map<String, Integer> devices = new HashMap<>();
    /** ifindexes whose qdisc change the fake kernel refuses, with the errno. */
    private final Map<Integer, Integer> refuse = new HashMap<>();
    private final Set<Integer> goneIndexes = new HashSet<>();
    private final List<int[]> plugMessages = new ArrayList<>(); // {ifindex, action, limit, flags}
    private final FakeChannel channel = new FakeChannel(this::kernel);
    private final Rtnetlink rtnl = new Rtnetlink(channel, null, Duration.ofSeconds(1));
    private final NetlinkTrafficControl tc = new NetlinkTrafficControl(rtnl, new NetlinkLinks(rtnl));

    private List<byte[]> kernel(ByteBuffer req) {
        List<byte[]> replies = new ArrayList<>();
        for (int[] m : FakeChannel.messages(req)) {
            int off = m[0];
            int type = NetlinkReader.type(req, off);
            if (type == RTM_GETLINK) {
                String name = NetlinkReader.string(req, NetlinkReader.find(req, off + 32, off + m[1], IFLA_IFNAME));
                Integer index = devices.get(name);
                replies.add(index == null ? FakeChannel.ack(req, off, -Errno.ENODEV, null)
                        : Msg.of(RTM_NEWLINK, 0, req.getInt(off + 8)).i32(0).i32(index).i32(0).i32(0)
                                .attr(IFLA_IFNAME, name).bytes());
            } else if (type == RTM_NEWQDISC) {
                int ifindex = req.getInt(off + 20);
                int opt = NetlinkReader.find(req, off + 36, off + m[1], TCA_OPTIONS);
                boolean twoWords = req.getShort(opt) >= 12; // tc_plug_qopt; a tc_fifo_qopt has one word
                plugMessages.add(new int[] {ifindex, req.getInt(opt + 4), twoWords ? req.getInt(opt + 8) : 0,
                        NetlinkReader.flags(req, off)});
                int errno = goneIndexes.contains(ifindex) ? Errno.ENODEV : refuse.getOrDefault(ifindex, 0);
                replies.add(FakeChannel.ack(req, off, -errno, errno == 0 ? null : "refused " + ifindex));
            }
        }
        return replies;
    }

    @Test
    void plugActionsForManyIfbsGoOutInOneSendWithOneAckEach() {
        for (int i = 0; i < 16; i++) {
            devices.put("ifb" + i, 100 + i);
        }
        List<String> group = new ArrayList<>(devices.keySet());
        tc.plug(group, PlugAction.BUFFER); // resolves and caches the ifindexes
        int sendsBefore = channel.sent.size();
        plugMessages.clear();

        tc.plug(group, PlugAction.limit(5000));

        assertEquals(sendsBefore + 1, channel.sent.size(), "one datagram for the whole group");
        assertEquals(16, FakeChannel.messages(channel.sent.get(channel.sent.size() - 1)).size());
        assertEquals(16, plugMessages.size());
        for (int i = 0; i < 16; i++) {
            int[] msg = plugMessages.get(i);
            assertEquals(devices.get(group.get(i)), msg[0], "in the caller's order");
            assertEquals(PlugAction.LIMIT_CODE, msg[1]);
            assertEquals(5000, msg[2]);
            assertEquals(NLM_F_REQUEST | NLM_F_ACK, msg[3], "a change: no CREATE, no EXCL");
        }
    }

    @Test
    void everyIfbIsAttemptedAndTheFirstFailureThrownWithTheRestSuppressed() {
        devices.put("ifb0", 10);
        devices.put("ifb1", 11);
        devices.put("ifb2", 12);
        refuse.put(11, 22);
        refuse.put(12, 95);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.plug(List.of("ifb0", "ifb1", "ifb2"), PlugAction.RELEASE_ONE));
        assertEquals(3, plugMessages.size(), "all three were sent");
        assertEquals(Optional.of("ifb1"), e.ifb());
        assertEquals(Optional.of(22), e.errno());
        assertEquals("refused 11", e.detail());
        assertEquals("plug RELEASE_ONE", e.operation());
        assertEquals(1, e.getSuppressed().length);
        assertEquals(Optional.of("ifb2"), ((OperationFailedException) e.getSuppressed()[0]).ifb());
    }

    @Test
    void unknownIfbFailsAloneWhileTheOthersAreApplied() {
        devices.put("ifb0", 10);
        devices.put("ifb2", 12);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.plug(List.of("ifb0", "ifb1", "ifb2"), PlugAction.BUFFER));
        assertEquals(Optional.of("ifb1"), e.ifb());
        assertEquals(Optional.of(Errno.ENODEV), e.errno());
        assertEquals(List.of(10, 12), plugMessages.stream().map(m -> m[0]).toList());
    }

    @Test
    void staleCachedIfindexIsLookedUpAgainOnEnodev() {
        devices.put("ifb0", 10);
        tc.plug(List.of("ifb0"), PlugAction.BUFFER);
        goneIndexes.add(10);
        devices.put("ifb0", 20); // deleted and recreated under the same name
        plugMessages.clear();

        tc.plug(List.of("ifb0"), PlugAction.RELEASE_ONE);

        assertEquals(List.of(10, 20), plugMessages.stream().map(m -> m[0]).toList());
        plugMessages.clear();
        tc.plug(List.of("ifb0"), PlugAction.BUFFER);
        assertEquals(List.of(20), plugMessages.stream().map(m -> m[0]).toList(), "the new index is cached");
    }

    @Test
    void largeGroupsAreSplitAcrossSendsWhenTheBufferIsFull() {
        List<String> group = new ArrayList<>();
        for (int i = 0; i < 400; i++) { // 400 x 60 bytes > the 16 KiB send buffer
            devices.put("ifb" + i, 1000 + i);
            group.add("ifb" + i);
        }
        tc.plug(group, PlugAction.BUFFER);
        plugMessages.clear();
        int sendsBefore = channel.sent.size();
        tc.plug(group, PlugAction.RELEASE_ONE);
        assertEquals(400, plugMessages.size());
        assertEquals(sendsBefore + 2, channel.sent.size());
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsSent() {
        assertThrows(InvalidConfigurationException.class, () -> tc.addPlug("ifb0", 0));
        assertThrows(InvalidConfigurationException.class, () -> tc.addPlug("bad/name", 1000));
        assertThrows(InvalidConfigurationException.class, () -> tc.addIngress("much-too-long-name0"));
        assertThrows(IllegalArgumentException.class,
                () -> RootQdiscRequests.of(tc).change(List.of("ifb0"), "Pfifo", new int[1]));
        assertTrue(channel.sent.isEmpty());
    }

    @Test
    void emptyGroupSendsNothing() {
        tc.plug(List.of(), PlugAction.BUFFER);
        assertTrue(channel.sent.isEmpty());
    }

    @Test
    void addPlugAndRootQdiscAddCreateTheRootWithItsOptionsInOneRequest() {
        devices.put("ifb0", 7);
        devices.put("ifb1", 8);

        tc.addPlug("ifb0", 10_000_000);
        RootQdiscRequests.of(tc).add("ifb1", "pfifo", new int[] {1000});

        List<ByteBuffer> creates = new ArrayList<>();
        for (ByteBuffer sent : channel.sent) {
            if (NetlinkReader.type(sent, 0) == RTM_NEWQDISC) {
                creates.add(sent);
            }
        }
        assertEquals(2, creates.size());
        int create = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
        ByteBuffer plug = creates.get(0);
        assertEquals(create, NetlinkReader.flags(plug, 0));
        assertEquals(7, plug.getInt(20));
        assertEquals(TC_H_ROOT, plug.getInt(28));
        assertEquals("plug", NetlinkReader.string(plug, NetlinkReader.find(plug, 36, plug.getInt(0), TCA_KIND)));
        int plugOptions = NetlinkReader.find(plug, 36, plug.getInt(0), TCA_OPTIONS);
        assertEquals(12, plug.getShort(plugOptions), "tc_plug_qopt: 8 bytes after the attribute header");
        assertEquals(PlugAction.LIMIT_CODE, plug.getInt(plugOptions + 4));
        assertEquals(10_000_000, plug.getInt(plugOptions + 8));
        ByteBuffer fifo = creates.get(1);
        assertEquals(create, NetlinkReader.flags(fifo, 0));
        assertEquals(8, fifo.getInt(20));
        assertEquals("pfifo", NetlinkReader.string(fifo, NetlinkReader.find(fifo, 36, fifo.getInt(0), TCA_KIND)));
        int fifoOptions = NetlinkReader.find(fifo, 36, fifo.getInt(0), TCA_OPTIONS);
        assertEquals(8, fifo.getShort(fifoOptions), "tc_fifo_qopt: one 32-bit limit");
        assertEquals(1000, fifo.getInt(fifoOptions + 4));
    }

    @Test
    void rootQdiscAddRefusesABadKindBeforeSending() {
        devices.put("ifb0", 7);
        int sends = channel.sent.size();
        assertThrows(IllegalArgumentException.class, () -> RootQdiscRequests.of(tc).add("ifb0", "", new int[] {1}));
        assertThrows(IllegalArgumentException.class,
                () -> RootQdiscRequests.of(tc).add("ifb0", "a-kind-name-too-long", new int[] {1}));
        assertEquals(sends, channel.sent.size());
    }
}
