package io.netbuf.impl.jfr;

import jdk.jfr.Category;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.StackTrace;

/** The fields every netbuf event has: which buffer. */
@Category("netbuf")
@StackTrace(false)
abstract class BufferJfrEvent extends Event {
    @Label("Vif")
    String vif;

    @Label("IFB")
    String ifb;

    @Label("Domain")
    int domain = -1;
}
