package io.netbuf.it;

import io.netbuf.impl.libc.Libc;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A UDP socket that lives in a network namespace: opened on a short-lived thread that first joins
 * the namespace with {@code setns} (a socket stays in the namespace it was created in). Sends
 * numbered datagrams sized to an exact Ethernet frame length, and receives them in arrival order,
 * so a test sees exactly which packets crossed the buffer and in what order. IPv4 and IPv6 share
 * one dual-stack socket, so their relative order is kept too.
 */
final class NetnsUdp implements AutoCloseable {
    /** Ethernet header. */
    static final int ETH_HLEN = 14;
    private static final int IPV4_HLEN = 20;
    private static final int IPV6_HLEN = 40;
    private static final int UDP_HLEN = 8;
    private static final Duration POLL = Duration.ofMillis(20);

    private final DatagramChannel channel;
    private final ByteBuffer rx = ByteBuffer.allocate(65_536);

    private NetnsUdp(DatagramChannel channel) {
        this.channel = channel;
    }

    /**
     * @param ns the namespace
     * @param port the port to listen on (all addresses, IPv4 and IPv6), or 0 for a sender
     * @return the socket, non-blocking
     */
    static NetnsUdp open(Netns ns, int port) {
        CompletableFuture<DatagramChannel> opened = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            int fd = Libc.open("/var/run/netns/" + ns.name(), Libc.O_RDONLY, 0);
            if (fd < 0) {
                opened.completeExceptionally(new IllegalStateException("open netns " + ns.name() + ": errno "
                        + Libc.errno()));
                return;
            }
            try {
                if (Libc.setns(fd, Libc.CLONE_NEWNET) != 0) {
                    throw new IllegalStateException("setns " + ns.name() + ": errno " + Libc.errno());
                }
                DatagramChannel ch = DatagramChannel.open(StandardProtocolFamily.INET6);
                ch.bind(new InetSocketAddress("::", port));
                ch.configureBlocking(false);
                opened.complete(ch);
            } catch (IOException | RuntimeException e) {
                opened.completeExceptionally(e);
            } finally {
                Libc.close(fd);
            }
        }, "netns-udp-" + ns.name());
        t.setDaemon(true);
        t.start();
        try {
            return new NetnsUdp(opened.get(10, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            throw new IllegalStateException("could not open a UDP socket in " + ns.name(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("opening a UDP socket in " + ns.name() + " timed out", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Sends one datagram whose Ethernet frame is exactly {@code frameLength} bytes.
     *
     * @param address the destination (IPv4 or IPv6 literal)
     * @param port the destination port
     * @param id the number carried in the first four payload bytes
     * @param frameLength the full frame length, Ethernet header included (what the plug counts)
     */
    void send(String address, int port, int id, int frameLength) {
        int payload = frameLength - ETH_HLEN - (address.contains(":") ? IPV6_HLEN : IPV4_HLEN) - UDP_HLEN;
        if (payload < 4) {
            throw new IllegalArgumentException("frame of " + frameLength + " bytes is too short for an id");
        }
        ByteBuffer b = ByteBuffer.allocate(payload);
        b.putInt(0, id);
        try {
            if (channel.send(b, new InetSocketAddress(address, port)) != payload) {
                throw new IllegalStateException("datagram " + id + " was not sent whole");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("send datagram " + id + " to " + address, e);
        }
    }

    /**
     * Waits until {@code count} more datagrams arrived or {@code timeout} passed, then for
     * {@code grace} more to catch any extra one.
     *
     * @return the ids received, in arrival order
     */
    List<Integer> receive(int count, Duration timeout, Duration grace) throws InterruptedException {
        List<Integer> ids = new ArrayList<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (ids.size() < count && System.nanoTime() - deadline < 0) {
            if (!poll(ids)) {
                Thread.sleep(POLL.toMillis());
            }
        }
        long end = System.nanoTime() + grace.toNanos();
        while (System.nanoTime() - end < 0) {
            if (!poll(ids)) {
                Thread.sleep(POLL.toMillis());
            }
        }
        return ids;
    }

    private boolean poll(List<Integer> ids) {
        try {
            rx.clear();
            if (channel.receive(rx) == null) {
                return false;
            }
            rx.flip();
            ids.add(rx.remaining() >= 4 ? rx.getInt(0) : -1);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("receive", e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            System.err.println("could not close a UDP socket: " + e);
        }
    }
}
