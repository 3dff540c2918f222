package io.netbuf.impl.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A failed action. */
@Name("io.netbuf.Failure")
@Label("Failure")
@Description("An action on a buffer failed")
final class FailureEvent extends BufferJfrEvent {
    @Label("Operation")
    String operation;

    @Label("Exception")
    String exception;

    @Label("Message")
    String message;
}
