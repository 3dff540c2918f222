package io.netbuf.event;

/** Why the plug dropped output. */
public enum DropCause {
    /** A packet would have taken the plug over its byte limit; the kernel dropped it. */
    OVER_LIMIT,
    /** The buffer was torn down while it held output, which the kernel discards with the plug. */
    PURGED
}
