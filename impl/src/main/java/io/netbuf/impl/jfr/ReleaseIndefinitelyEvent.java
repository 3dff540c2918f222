package io.netbuf.impl.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A release-indefinitely (plug RELEASE_INDEFINITE). */
@Name("io.netbuf.ReleaseIndefinitely")
@Label("Release Indefinitely")
@Description("The buffer was released indefinitely (failover); the duration is the call to the kernel")
final class ReleaseIndefinitelyEvent extends PlugCallEvent {
}
