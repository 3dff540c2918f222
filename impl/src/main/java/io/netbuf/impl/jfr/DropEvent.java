package io.netbuf.impl.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** Output the plug dropped. */
@Name("io.netbuf.Drop")
@Label("Drop")
@Description("The plug dropped output: over its limit, or purged by a teardown")
final class DropEvent extends BufferJfrEvent {
    @Label("Cause")
    String cause;

    @Label("Packets")
    long packets;

    @Label("Bytes")
    @DataAmount
    long bytes;
}
