package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_DONE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_ERROR;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_ACK_TLVS;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_CAPPED;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_DUMP;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_DUMP_INTR;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_MULTI;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_REQUEST;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_H_ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.OperationFailedException;
import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.netlink.FakeChannel.Msg;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RtnetlinkTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(2);

    private static Rtnetlink rtnl(FakeChannel channel) {
        return new Rtnetlink(channel, null, TIMEOUT);
    }

    private static void writeNoop(Rtnetlink r) {
        NetlinkWriter w = r.request(RTM_NEWQDISC, NLM_F_ACK);
        w.tcmsg(3, 0, TC_H_ROOT, 0);
        w.end();
    }

    @Test
    void ackCompletesTheRequest() {
        FakeChannel ch = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, 0, null)));
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        r.ack("op", null, null);
        assertEquals(1, ch.sent.size());
        assertEquals(NLM_F_REQUEST | NLM_F_ACK, ch.sent.get(0).getShort(6));
    }

    @Test
    void kernelErrorCarriesErrnoAndExtendedAck() {
        FakeChannel ch = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -2, "Specified qdisc kind is unknown")));
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> r.ack("add plug", null, "ifb0"));
        assertEquals(Optional.of(2), e.errno());
        assertEquals("Specified qdisc kind is unknown", e.detail());
        assertEquals("add plug", e.operation());
        assertEquals(Optional.of("ifb0"), e.ifb());
    }

    @Test
    void kernelErrorWithoutExtendedAckIsDescribedByErrno() {
        FakeChannel ch = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -19, null)));
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> r.ack("op", null, null));
        assertEquals("ENODEV (No such device)", e.detail());
    }

    @Test
    void lateRepliesToEarlierRequestsAreSkipped() {
        FakeChannel ch = new FakeChannel(req -> {
            byte[] stale = Msg.of(NLMSG_ERROR, 0, req.getInt(8) - 1).i32(-1).raw(req, 0, 16).bytes();
            byte[] foreign = Msg.of(RTM_NEWLINK, 0, 0).i32(0).i32(0).i32(0).i32(0).bytes();
            return List.of(stale, foreign, FakeChannel.ack(req, 0, 0, null));
        });
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        r.ack("op", null, null);
        assertEquals(3, ch.receives);
    }

    @Test
    void datagramsFromOtherSocketsThanTheKernelAreIgnored() {
        // another socket forges a success for the request; the kernel refuses it
        FakeChannel ch = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -1, null)));
        ch.impostor = req -> List.of(FakeChannel.ack(req, 0, 0, null), new byte[] {1, 2, 3});
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> r.ack("op", null, "ifb0"));
        assertEquals(Optional.of(1), e.errno(), "the kernel's answer, not the forged ack: " + e.getMessage());
        assertEquals(3, ch.receives);

        // a forged refusal does not fail a request the kernel acks
        FakeChannel ok = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, 0, null)));
        ok.impostor = req -> List.of(FakeChannel.ack(req, 0, -16, "forged"));
        Rtnetlink r2 = rtnl(ok);
        writeNoop(r2);
        r2.ack("op", null, "ifb0");

        // only forged datagrams: a bounded wait, then a typed timeout that says what was ignored
        FakeChannel silent = new FakeChannel(req -> List.of());
        silent.impostor = req -> List.of(FakeChannel.ack(req, 0, 0, null));
        Rtnetlink r3 = rtnl(silent);
        writeNoop(r3);
        OperationFailedException timeout = assertThrows(OperationFailedException.class, () -> r3.ack("op", null, null));
        assertTrue(timeout.getMessage().contains("1 datagrams from other senders"), timeout.getMessage());
    }

    @Test
    void noReplyTimesOutWithTypedException() {
        FakeChannel ch = new FakeChannel(req -> List.of());
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        OperationFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(OperationFailedException.class, () -> r.ack("op", null, null)));
        assertTrue(e.getMessage().contains("no reply from the kernel within 2000 ms"), e.getMessage());
    }

    @Test
    void malformedRepliesFailFastWithoutHanging() {
        List<byte[]> bad = new ArrayList<>();
        bad.add(new byte[] {1, 2, 3});                                   // shorter than a header
        bad.add(withLength(Msg.of(NLMSG_ERROR, 0, 0).i32(0).bytes(), 0));          // nlmsg_len 0
        bad.add(withLength(Msg.of(NLMSG_ERROR, 0, 0).i32(0).bytes(), 0x7FFF_FFFF)); // claims 2 GiB
        bad.add(withLength(Msg.of(NLMSG_ERROR, 0, 0).bytes(), 16));                  // error code missing
        for (byte[] datagram : bad) {
            FakeChannel ch = new FakeChannel(req -> List.of(patchSeq(datagram, req.getInt(8))));
            Rtnetlink r = rtnl(ch);
            writeNoop(r);
            OperationFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(1),
                    () -> assertThrows(OperationFailedException.class, () -> r.ack("op", null, null)));
            assertTrue(e.getMessage().contains("malformed reply") || e.getMessage().contains("no reply"),
                    e.getMessage());
        }
    }

    @Test
    void extendedAckWithBrokenAttributeIsMalformedNotALoop() {
        FakeChannel ch = new FakeChannel(req -> {
            byte[] msg = Msg.of(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, req.getInt(8)).i32(-22)
                    .raw(req, 0, 16).i32(0x0001_0000).bytes(); // attribute of length 0
            return List.of(msg);
        });
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        OperationFailedException e = assertTimeoutPreemptively(Duration.ofSeconds(1),
                () -> assertThrows(OperationFailedException.class, () -> r.ack("op", null, null)));
        assertTrue(e.getMessage().contains("malformed reply"), e.getMessage());
    }

    @Test
    void truncatedDatagramIsReportedNotParsed() {
        FakeChannel ch = new FakeChannel(req -> List.of());
        ch.nextReportedLength = Rtnetlink.RECEIVE_BUFFER_BYTES + 1;
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> r.ack("op", null, null));
        assertTrue(e.getMessage().contains("exceeds the 65536-byte receive buffer"), e.getMessage());
    }

    @Test
    void batchSendsOneDatagramAndMatchesAcksInAnyOrder() {
        FakeChannel ch = new FakeChannel(req -> {
            List<int[]> msgs = FakeChannel.messages(req);
            // all three acks in one datagram, reversed; the middle message fails
            return List.of(FakeChannel.datagram(FakeChannel.ack(req, msgs.get(2)[0], 0, null),
                    FakeChannel.ack(req, msgs.get(1)[0], -16, "busy"), FakeChannel.ack(req, msgs.get(0)[0], 0, null)));
        });
        Rtnetlink r = rtnl(ch);
        writeNoop(r);
        for (int i = 0; i < 2; i++) {
            NetlinkWriter w = r.append(RTM_NEWQDISC, NLM_F_ACK);
            w.tcmsg(4 + i, 0, TC_H_ROOT, 0);
            w.end();
        }
        assertEquals(1, r.exchangeAcks("batch"));
        assertEquals(1, ch.sent.size());
        List<int[]> msgs = FakeChannel.messages(ch.sent.get(0));
        assertEquals(3, msgs.size());
        for (int i = 1; i < 3; i++) {
            assertEquals(ch.sent.get(0).getInt(msgs.get(0)[0] + 8) + i, ch.sent.get(0).getInt(msgs.get(i)[0] + 8),
                    "consecutive sequence numbers");
        }
        assertEquals(0, r.errno(0));
        assertEquals(16, r.errno(1));
        assertEquals("busy", r.errorMessage(1));
        assertEquals(0, r.errno(2));
        assertNull(r.errorMessage(2));
    }

    @Test
    void dumpCollectsMultipartRepliesUntilDone() {
        FakeChannel ch = new FakeChannel(req -> {
            int seq = req.getInt(8);
            return List.of(
                    FakeChannel.datagram(Msg.of(RTM_NEWQDISC, NLM_F_MULTI, seq).i32(1).bytes(),
                            Msg.of(RTM_NEWQDISC, NLM_F_MULTI, seq).i32(2).bytes()),
                    FakeChannel.datagram(Msg.of(RTM_NEWQDISC, NLM_F_MULTI, seq).i32(3).bytes(),
                            Msg.of(NLMSG_DONE, NLM_F_MULTI, seq).i32(0).bytes()));
        });
        Rtnetlink r = rtnl(ch);
        NetlinkWriter w = r.request(RTM_GETQDISC, NLM_F_DUMP);
        w.tcmsg(0, 0, 0, 0);
        w.end();
        assertEquals(List.of(1, 2, 3), r.dump("dump", RtnetlinkTest::firstWord));
    }

    @Test
    void interruptedDumpIsRepeatedWithAFreshSequenceNumber() {
        int[] calls = {0};
        FakeChannel ch = new FakeChannel(req -> {
            int seq = req.getInt(8);
            int flags = calls[0]++ == 0 ? NLM_F_MULTI | NLM_F_DUMP_INTR : NLM_F_MULTI;
            return List.of(FakeChannel.datagram(Msg.of(RTM_NEWQDISC, flags, seq).i32(calls[0]).bytes(),
                    Msg.of(NLMSG_DONE, flags, seq).i32(0).bytes()));
        });
        Rtnetlink r = rtnl(ch);
        r.request(RTM_GETQDISC, NLM_F_DUMP).end();
        assertEquals(List.of(2), r.dump("dump", RtnetlinkTest::firstWord));
        assertEquals(2, ch.sent.size());
        assertTrue(ch.sent.get(0).getInt(8) != ch.sent.get(1).getInt(8));
    }

    @Test
    void dumpErrorIsThrownWithTheKernelsMessage() {
        FakeChannel ch = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -22, "Parent Qdisc doesn't exists")));
        Rtnetlink r = rtnl(ch);
        r.request(RTM_GETTFILTER, NLM_F_DUMP).end();
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> r.dump("dump", RtnetlinkTest::firstWord));
        assertEquals(Optional.of(22), e.errno());
        assertEquals("Parent Qdisc doesn't exists", e.detail());
    }

    @Test
    void getReturnsNullForTheAbsentErrnoAndThrowsForOthers() {
        FakeChannel absent = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -19, null)));
        Rtnetlink r1 = rtnl(absent);
        r1.request(RTM_GETLINK, 0).end();
        assertNull(r1.get("get", RtnetlinkTest::firstWord, Errno.ENODEV, null, null));

        FakeChannel denied = new FakeChannel(req -> List.of(FakeChannel.ack(req, 0, -1, null)));
        Rtnetlink r2 = rtnl(denied);
        r2.request(RTM_GETLINK, 0).end();
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> r2.get("get", RtnetlinkTest::firstWord, Errno.ENODEV, null, null));
        assertEquals("EPERM (Operation not permitted)", e.detail());
    }

    @Test
    void closedSocketRefusesRequests() {
        FakeChannel ch = new FakeChannel(req -> List.of());
        Rtnetlink r = rtnl(ch);
        r.close();
        r.close();
        assertTrue(ch.closed);
        assertThrows(IllegalStateException.class, () -> r.request(RTM_GETLINK, 0));
    }

    @Test
    void openingInAMissingOrBadlyNamedNamespaceFailsWithATypedException() {
        OperationFailedException missing = assertThrows(OperationFailedException.class,
                () -> Rtnetlink.open("netbuf-no-such-ns-" + ProcessHandle.current().pid(), TIMEOUT));
        if (Rtnetlink.unavailableReason() == null) {
            assertEquals(Optional.of(2), missing.errno(), "ENOENT from open(/var/run/netns/...)");
        }
        OperationFailedException bad = assertThrows(OperationFailedException.class,
                () -> Rtnetlink.open("../etc", TIMEOUT));
        assertTrue(bad.getMessage().contains("bad network namespace name") || Rtnetlink.unavailableReason() != null,
                bad.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Rtnetlink.open(null, Duration.ZERO));
    }

    private static Integer firstWord(ByteBuffer b, int off, int len) {
        return NetlinkReader.type(b, off) == RTM_NEWQDISC ? b.getInt(off + 16) : null;
    }

    private static byte[] withLength(byte[] msg, int len) {
        ByteBuffer.wrap(msg).order(java.nio.ByteOrder.nativeOrder()).putInt(0, len);
        return msg;
    }

    private static byte[] patchSeq(byte[] msg, int seq) {
        if (msg.length >= 12) {
            ByteBuffer.wrap(msg).order(java.nio.ByteOrder.nativeOrder()).putInt(8, seq);
        }
        return msg;
    }
}
