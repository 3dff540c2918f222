package io.netbuf.spi;

/**
 * A queueing discipline attached to an interface, with the counters the kernel keeps for it.
 *
 * @param kind e.g. {@code "plug"}, {@code "ingress"}, {@code "noqueue"}, {@code "pfifo_fast"}
 * @param handle the qdisc's handle ({@code major << 16}); 0 for kernel defaults that nobody added
 * @param parent {@link TrafficControl#ROOT}, {@link TrafficControl#INGRESS} or a class id
 * @param backlogBytes bytes queued now
 * @param backlogPackets packets queued now
 * @param drops packets dropped so far
 * @param sentBytes bytes dequeued so far
 * @param sentPackets packets dequeued so far
 */
public record Qdisc(String kind, int handle, int parent, long backlogBytes, long backlogPackets, long drops,
        long sentBytes, long sentPackets) {
    /** @return true when someone added this qdisc (a kernel default has handle 0) */
    public boolean isExplicit() {
        return handle != 0;
    }
}
