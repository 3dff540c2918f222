package io.netbuf.cli;

/** Counts packets that left the buffer and how long they were held: count, mean and maximum. Thread-safe. */
final class LatencyRecorder {
    private long count;
    private double sumMillis;
    private double maxMillis;

    /** @param millis how long one packet was held, in milliseconds */
    synchronized void record(double millis) {
        count++;
        sumMillis += millis;
        maxMillis = Math.max(maxMillis, millis);
    }

    /** @return packets recorded */
    synchronized long count() {
        return count;
    }

    /** @return the mean in milliseconds, 0 when nothing was recorded */
    synchronized double meanMillis() {
        return count == 0 ? 0 : sumMillis / count;
    }

    /** @return the maximum in milliseconds */
    synchronized double maxMillis() {
        return maxMillis;
    }
}
