package io.netbuf.impl.netlink;

/** A reply from the kernel that does not parse: a length that is too short or overruns its container. */
final class MalformedReplyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    MalformedReplyException(String message) {
        super(message);
    }
}
