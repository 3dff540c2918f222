package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.libc.Errno;
import io.netbuf.impl.libc.Libc;
import io.netbuf.impl.libc.NativeMemory;
import io.netbuf.impl.netlink.NetlinkLinks;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Another socket cannot pass itself off as the kernel: netbuf's rtnetlink sockets are connected to
 * the kernel's port id, so the real kernel refuses (ECONNREFUSED) a forged ack that another socket
 * of the same namespace sends to them, and they keep working.
 */
class NetlinkImpostorIT {
    private static final int NLMSG_ERROR = 2;

    @RegisterExtension
    final NetlinkNamespace kernel = new NetlinkNamespace("nbimp");

    @Test
    void theKernelRefusesAForgedAckFromAnotherSocket() throws Exception {
        NetlinkLinks links = kernel.links();
        assertTrue(links.find("lo").isPresent(), "the socket works before the forgery");

        List<int[]> sends = inNamespace(this::forgeAcksToEveryOtherRouteSocket);

        assertFalse(sends.isEmpty(), "the namespace must list netbuf's own rtnetlink socket");
        for (int[] send : sends) {
            assertEquals(Errno.ECONNREFUSED, send[1],
                    "a forged ack to port id " + Integer.toUnsignedString(send[0]) + " must be refused, errno "
                            + send[1] + " (" + Errno.describe(send[1]) + ")");
        }
        assertTrue(links.find("lo").isPresent(), "the socket works after the forgery");
        assertTrue(links.find("nosuchdev0").isEmpty(), "and its answers are the kernel's");
    }

    /**
     * Runs in a thread inside the namespace: opens an impostor socket and sends a forged ack to each
     * other rtnetlink socket the namespace lists.
     *
     * @return per target, its port id and the errno of the send (0 when it was accepted)
     */
    private List<int[]> forgeAcksToEveryOtherRouteSocket() {
        int fd = Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, Libc.NETLINK_ROUTE);
        assertTrue(fd >= 0, "impostor socket: errno " + Libc.errno());
        try (NativeMemory address = new NativeMemory(12); NativeMemory message = new NativeMemory(36)) {
            ByteBuffer a = address.buffer().order(ByteOrder.nativeOrder());
            a.putShort(0, (short) Libc.AF_NETLINK);
            assertEquals(0, Libc.bind(fd, address.address(), 12), "impostor bind: errno " + Libc.errno());
            long ownInode = socketInode(fd);
            ByteBuffer m = message.buffer().order(ByteOrder.nativeOrder());
            m.putInt(0, 36).putShort(4, (short) NLMSG_ERROR).putShort(6, (short) 0).putInt(8, 0).putInt(12, 0);
            m.putInt(16, 0); // error 0: "your request succeeded"
            List<int[]> out = new ArrayList<>();
            for (long[] socket : routeSockets()) {
                if (socket[1] == ownInode || socket[0] == 0) {
                    continue;
                }
                int portId = (int) socket[0];
                a.putInt(4, portId);
                // Every sequence number a request might carry cannot be guessed; one forged ack per
                // socket is enough to see whether the kernel delivers it at all.
                long n = Libc.sendto(fd, message.address(), 36, 0, address.address(), 12);
                out.add(new int[] {portId, n < 0 ? Libc.errno() : 0});
            }
            return out;
        } finally {
            Libc.close(fd);
        }
    }

    private static long socketInode(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/thread-self/fd/" + fd)).toString();
            return Long.parseLong(target.substring(target.indexOf('[') + 1, target.indexOf(']')));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the impostor socket's inode", e);
        }
    }

    /** @return {port id, inode} of every NETLINK_ROUTE socket of this thread's network namespace */
    private static List<long[]> routeSockets() {
        try {
            List<long[]> out = new ArrayList<>();
            List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/net/netlink"));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.trim().split("\\s+");
                // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
                if (f.length >= 10 && f[1].equals("0")) {
                    out.add(new long[] {Long.parseLong(f[2]), Long.parseLong(f[9])});
                }
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read /proc/thread-self/net/netlink", e);
        }
    }

    /** Runs {@code body} in a fresh thread that has entered the test's namespace (threads enter namespaces alone). */
    private <T> T inNamespace(java.util.function.Supplier<T> body) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int nsfd = Libc.open("/var/run/netns/" + kernel.netns().name(), Libc.O_RDONLY | Libc.O_CLOEXEC, 0);
            try {
                if (nsfd < 0 || Libc.setns(nsfd, Libc.CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("cannot enter namespace " + kernel.netns().name() + ": errno " + Libc.errno());
                }
                result.complete(body.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            } finally {
                if (nsfd >= 0) {
                    Libc.close(nsfd);
                }
            }
        }, "netbuf-impostor");
        t.setDaemon(true);
        t.start();
        return result.get(30, TimeUnit.SECONDS);
    }
}
