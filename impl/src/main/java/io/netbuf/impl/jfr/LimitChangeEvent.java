package io.netbuf.impl.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A limit change (plug LIMIT). */
@Name("io.netbuf.LimitChange")
@Label("Limit Change")
@Description("The plug's byte limit was changed; the duration is the call to the kernel")
final class LimitChangeEvent extends PlugCallEvent {
    @Label("Previous Limit")
    @DataAmount
    long previous;

    @Label("Limit")
    @DataAmount
    long limit;
}
