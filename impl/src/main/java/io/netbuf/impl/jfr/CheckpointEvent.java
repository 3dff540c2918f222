package io.netbuf.impl.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A checkpoint (plug BUFFER). */
@Name("io.netbuf.Checkpoint")
@Label("Checkpoint")
@Description("A checkpoint closed an epoch (plug BUFFER); the duration is the call to the kernel")
final class CheckpointEvent extends PlugCallEvent {
}
