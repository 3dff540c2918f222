package io.netbuf.impl.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/** A commit (plug RELEASE_ONE) and what it released. */
@Name("io.netbuf.Commit")
@Label("Commit")
@Description("A commit released the closed epoch (plug RELEASE_ONE); the duration is the call to the kernel")
final class CommitEvent extends PlugCallEvent {
    @Label("Packets Released")
    long packets;

    @Label("Bytes Released")
    @DataAmount
    long bytes;

    @Label("Checkpoint to Commit")
    @Timespan(Timespan.NANOSECONDS)
    long checkpointToCommit;
}
