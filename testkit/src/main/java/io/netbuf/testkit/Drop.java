package io.netbuf.testkit;

/**
 * A frame the fake kernel did not deliver, and why.
 *
 * @param frame the frame
 * @param vif the vif the guest sent it into
 * @param reason what happened to it, e.g. {@code "over the plug limit of ifb0"}
 */
public record Drop(Frame frame, String vif, String reason) {
}
