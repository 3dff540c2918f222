package io.netbuf.impl.netlink;

import static io.netbuf.impl.netlink.NetlinkConstants.IFF_UP;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_IFNAME;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_INFO_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.IFLA_LINKINFO;
import static io.netbuf.impl.netlink.NetlinkConstants.NLMSG_DONE;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_DUMP;
import static io.netbuf.impl.netlink.NetlinkConstants.NLM_F_MULTI;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_GETTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWLINK;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWQDISC;
import static io.netbuf.impl.netlink.NetlinkConstants.RTM_NEWTFILTER;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_ACT_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_EGRESS_REDIR;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_KIND;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_MIRRED_PARMS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_OPTIONS;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS2;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_BASIC;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_STATS_QUEUE;
import static io.netbuf.impl.netlink.NetlinkConstants.TCA_U32_ACT;
import static io.netbuf.impl.netlink.NetlinkConstants.TC_MIRRED_LEN;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.netbuf.NetworkBufferException;
import io.netbuf.impl.netlink.FakeChannel.Msg;
import io.netbuf.spi.PlugAction;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Hostile kernel replies: every request the backend sends is answered with a well-formed reply
 * (link, qdisc dump, u32 filter dump with a mirred redirect, ack) that is then mutated (bytes
 * flipped, lengths bent, cut short, duplicated, padded with noise) or replaced with random bytes.
 * Bounded in count and time. Every operation must return or throw a typed
 * {@link NetworkBufferException}, never hang, and never allocate per call more than a small
 * multiple of the 64 KiB receive buffer that bounds the kernel's datagrams.
 */
class NetlinkReplyFuzzTest {
    private static final long SEED = 0xF022_0009L;
    private static final int CASES = 30_000;
    /**
     * A parser that sized anything by an announced length (up to 4 GiB) would blow far past this.
     * It includes what the scripted kernel allocates to build its replies (about 40 KiB per case)
     * and rare first-time costs (a new exception path, JIT deoptimisation: up to about 250 KiB seen).
     */
    private static final long MAX_BYTES_PER_CASE = 16L * Rtnetlink.RECEIVE_BUFFER_BYTES;
    /** Cases run before allocation counts: class loading and logger set-up happen once. */
    private static final int WARM_UP = 2_000;

    private final Random random = new Random(SEED);
    private int mutation;

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    @Test
    void everyHostileReplyEndsInAValueOrATypedError() {
        FakeChannel channel = new FakeChannel(this::hostileKernel);
        Rtnetlink rtnl = new Rtnetlink(channel, null, Duration.ofMillis(50));
        NetlinkLinks links = new NetlinkLinks(rtnl);
        NetlinkTrafficControl tc = new NetlinkTrafficControl(rtnl, links);
        int[] outcomes = new int[2];
        long[] worst = new long[1];
        assertTimeoutPreemptively(Duration.ofSeconds(90), () -> {
            for (int i = 0; i < CASES; i++) {
                mutation = i;
                long before = allocatedBytes();
                try {
                    switch (i % 5) {
                        case 0 -> links.all();
                        case 1 -> links.find("ifb0");
                        case 2 -> tc.qdiscs("ifb0");
                        case 3 -> tc.redirectTargets("vif5.0");
                        default -> tc.plug(List.of("ifb0", "ifb1"), PlugAction.BUFFER);
                    }
                    outcomes[0]++;
                } catch (NetworkBufferException e) {
                    outcomes[1]++;
                } catch (RuntimeException | Error e) {
                    fail("case " + i + ": untyped " + e, e);
                }
                if (i >= WARM_UP) {
                    worst[0] = Math.max(worst[0], allocatedBytes() - before);
                }
            }
        });
        System.out.printf("netlink reply fuzz: %d cases, %d answered, %d typed errors, worst allocation %d bytes%n",
                CASES, outcomes[0], outcomes[1], worst[0]);
        assertTrue(worst[0] <= MAX_BYTES_PER_CASE, "one call allocated " + worst[0] + " bytes");
        assertTrue(outcomes[0] > 0 && outcomes[1] > 0, "both outcomes occur: " + outcomes[0] + "/" + outcomes[1]);
    }

    /**
     * Another socket that knows ours answers every request before the kernel does: with a forged
     * refusal of every message (and, for dumps, a forged end), spoiled in the same ways as above,
     * or with random bytes. None of it may be taken for the kernel's answer: every operation must
     * return what the well-behaved kernel says, whatever the impostor sends.
     */
    @Test
    void datagramsFromOtherSendersAreNeverTakenForTheKernels() {
        FakeChannel channel = new FakeChannel(request -> List.of(wellFormedReply(request)));
        channel.impostor = request -> {
            List<byte[]> forged = new ArrayList<>();
            for (int n = 1 + random.nextInt(3); n > 0; n--) {
                forged.add(spoil(forgedRefusal(request)));
            }
            return forged;
        };
        // the fake answers an empty queue at once, so a long deadline costs nothing but rules out pauses
        Rtnetlink rtnl = new Rtnetlink(channel, null, Duration.ofSeconds(10));
        NetlinkLinks links = new NetlinkLinks(rtnl);
        NetlinkTrafficControl tc = new NetlinkTrafficControl(rtnl, links);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int i = 0; i < CASES / 6; i++) {
                mutation = i;
                channel.impostorPortId = i % 2 == 0 ? 1 + random.nextInt(Integer.MAX_VALUE) : -1 - random.nextInt(1000);
                try {
                    switch (i % 4) {
                        case 0 -> assertTrue(links.find("ifb0").orElseThrow().isIfb(), "case " + i);
                        case 1 -> assertTrue(tc.qdiscs("ifb0").stream().anyMatch(q -> q.kind().equals("plug")),
                                "case " + i);
                        case 2 -> assertTrue(tc.redirectTargets("vif5.0").size() == 1, "case " + i);
                        default -> tc.plug(List.of("ifb0", "ifb1"), PlugAction.BUFFER);
                    }
                } catch (RuntimeException e) {
                    fail("case " + i + ": a datagram from port id " + channel.impostorPortId + " was believed: " + e, e);
                }
            }
        });
    }

    /** An NLMSG_ERROR refusing each message of the request (EPERM), plus NLMSG_DONE for a dump. */
    private static byte[] forgedRefusal(ByteBuffer request) {
        List<byte[]> messages = new ArrayList<>();
        for (int[] m : FakeChannel.messages(request)) {
            messages.add(FakeChannel.ack(request, m[0], -1, "forged"));
            if ((NetlinkReader.flags(request, m[0]) & NLM_F_DUMP) == NLM_F_DUMP) {
                messages.add(Msg.of(NLMSG_DONE, NLM_F_MULTI, request.getInt(m[0] + 8)).i32(0).bytes());
            }
        }
        return FakeChannel.datagram(messages.toArray(byte[][]::new));
    }

    /** Answers each request message well, then spoils the datagram in one of several ways. */
    private List<byte[]> hostileKernel(ByteBuffer request) {
        return List.of(spoil(wellFormedReply(request)));
    }

    /** The kernel's well-formed answer to every message of the request, in one datagram. */
    private static byte[] wellFormedReply(ByteBuffer request) {
        List<byte[]> messages = new ArrayList<>();
        boolean dump = false;
        for (int[] m : FakeChannel.messages(request)) {
            int off = m[0];
            int seq = request.getInt(off + 8);
            dump |= (NetlinkReader.flags(request, off) & NLM_F_DUMP) == NLM_F_DUMP;
            switch (NetlinkReader.type(request, off)) {
                case RTM_GETLINK -> {
                    messages.add(link(seq, 3, "ifb0", "ifb"));
                    messages.add(link(seq, 4, "vif5.0", "veth"));
                }
                case RTM_GETQDISC -> messages.add(qdisc(seq, 3));
                case RTM_GETTFILTER -> messages.add(filter(seq, 4, 3));
                default -> messages.add(FakeChannel.ack(request, off, 0, null));
            }
            if (dump) {
                messages.add(Msg.of(NLMSG_DONE, NLM_F_MULTI, seq).i32(0).bytes());
            }
        }
        return FakeChannel.datagram(messages.toArray(byte[][]::new));
    }

    private byte[] spoil(byte[] d) {
        switch (mutation % 7) {
            case 0 -> {
                for (int n = 1 + random.nextInt(8); n > 0; n--) {
                    d[random.nextInt(d.length)] ^= (byte) (1 + random.nextInt(255));
                }
                return d;
            }
            case 1 -> { // a length field (message or attribute) bent to a random value
                int at = random.nextInt(d.length / 4) * 4;
                ByteBuffer.wrap(d).order(java.nio.ByteOrder.nativeOrder()).putShort(at, (short) random.nextInt());
                return d;
            }
            case 2 -> {
                return java.util.Arrays.copyOf(d, random.nextInt(d.length));
            }
            case 3 -> { // well-formed, then noise
                byte[] longer = java.util.Arrays.copyOf(d, d.length + 1 + random.nextInt(64));
                for (int i = d.length; i < longer.length; i++) {
                    longer[i] = (byte) random.nextInt();
                }
                return longer;
            }
            case 4 -> {
                byte[] junk = new byte[random.nextInt(512)];
                random.nextBytes(junk);
                return junk;
            }
            case 5 -> { // the message length set past the datagram's end or below the header
                ByteBuffer.wrap(d).order(java.nio.ByteOrder.nativeOrder())
                        .putInt(0, random.nextBoolean() ? d.length + 1 + random.nextInt(1 << 20) : random.nextInt(16));
                return d;
            }
            default -> {
                return d; // well-formed: the parser must also succeed sometimes
            }
        }
    }

    private static byte[] link(int seq, int index, String name, String kind) {
        Msg m = Msg.of(RTM_NEWLINK, NLM_F_MULTI, seq).i32(0).i32(index).i32(IFF_UP).i32(0)
                .attr(IFLA_IFNAME, name);
        int info = m.nest(IFLA_LINKINFO);
        m.attr(IFLA_INFO_KIND, kind).end(info);
        return m.bytes();
    }

    private static byte[] qdisc(int seq, int ifindex) {
        Msg m = Msg.of(RTM_NEWQDISC, NLM_F_MULTI, seq).i32(0).i32(ifindex).i32(0x8001_0000).i32(TC_H_ROOT)
                .i32(1).attr(TCA_KIND, "plug");
        int stats = m.nest(TCA_STATS2);
        m.attrBytes(TCA_STATS_BASIC, new byte[16]).attrBytes(TCA_STATS_QUEUE, new byte[20]).end(stats);
        return m.bytes();
    }

    private static final int TC_H_ROOT = 0xFFFFFFFF;

    private static byte[] filter(int seq, int ifindex, int target) {
        Msg m = Msg.of(RTM_NEWTFILTER, NLM_F_MULTI, seq).i32(0).i32(ifindex).i32(0x8000_0800)
                .i32(0xFFFF_0000).i32(0x000A_0003).attr(TCA_KIND, "u32");
        int options = m.nest(TCA_OPTIONS);
        int actions = m.nest(TCA_U32_ACT);
        int first = m.nest(1);
        m.attr(TCA_ACT_KIND, "mirred");
        int actOptions = m.nest(TCA_ACT_OPTIONS);
        ByteBuffer parms = ByteBuffer.allocate(TC_MIRRED_LEN).order(java.nio.ByteOrder.nativeOrder());
        parms.putInt(20, TCA_EGRESS_REDIR).putInt(24, target);
        m.attrBytes(TCA_MIRRED_PARMS, parms.array()).end(actOptions).end(first).end(actions).end(options);
        return m.bytes();
    }
}
