package io.netbuf.impl.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A buffer attached or adopted. */
@Name("io.netbuf.Attach")
@Label("Attach")
@Description("A buffer was attached, or adopted from an earlier run")
final class AttachEvent extends BufferJfrEvent {
    @Label("Limit")
    @DataAmount
    long limit;

    @Label("Adopted")
    boolean adopted;
}
