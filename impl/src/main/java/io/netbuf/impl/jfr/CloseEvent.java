package io.netbuf.impl.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A buffer torn down. */
@Name("io.netbuf.Close")
@Label("Close")
@Description("A buffer was torn down")
final class CloseEvent extends BufferJfrEvent {
    @Label("Epochs")
    long epochs;
}
