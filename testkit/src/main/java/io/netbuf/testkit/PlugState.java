package io.netbuf.testkit;

/**
 * The private state of a fake plug qdisc, named as in the kernel's {@code struct plug_sched_data},
 * plus its queue. For tests that assert what the kernel would hold; controllers see only
 * {@link io.netbuf.spi.Qdisc} statistics.
 *
 * @param limit the byte limit
 * @param throttled whether dequeue is stopped
 * @param unplugIndefinite whether the plug passes traffic through (after RELEASE_INDEFINITE)
 * @param pktsToRelease packets the current release may still let out
 * @param pktsLastEpoch packets of the last closed, unreleased epoch
 * @param pktsCurrentEpoch packets of the open epoch
 * @param backlogBytes bytes queued
 * @param backlogPackets packets queued
 */
public record PlugState(long limit, boolean throttled, boolean unplugIndefinite, long pktsToRelease,
        long pktsLastEpoch, long pktsCurrentEpoch, long backlogBytes, long backlogPackets) {
}
