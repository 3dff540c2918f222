package io.netbuf;

/**
 * What the kernel reports for a buffer's plug qdisc.
 *
 * @param backlogBytes bytes held right now
 * @param backlogPackets packets held right now
 * @param drops packets dropped (over the limit, or purged)
 * @param sentBytes bytes released so far
 * @param sentPackets packets released so far
 */
public record BufferStats(long backlogBytes, long backlogPackets, long drops, long sentBytes, long sentPackets) {
}
