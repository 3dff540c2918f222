package io.netbuf.impl.jfr;

import jdk.jfr.Label;

/** A plug action; its duration is the call to the kernel. */
abstract class PlugCallEvent extends BufferJfrEvent {
    @Label("Epoch")
    long epoch;
}
