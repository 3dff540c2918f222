package io.netbuf.testkit;

import java.util.List;

/**
 * One port operation a {@link FakeHost} received.
 *
 * @param operation {@code "<port>.<method>"}, e.g. {@code "trafficControl.addPlug"}
 * @param arguments the arguments, as text
 * @param failure the simple name and message of what it threw, or null when it succeeded
 */
public record Call(String operation, List<String> arguments, String failure) {
    /**
     * Copies the arguments.
     *
     * @param operation {@code "<port>.<method>"}, e.g. {@code "trafficControl.addPlug"}
     * @param arguments the arguments, as text
     * @param failure the simple name and message of what it threw, or null when it succeeded
     */
    public Call {
        arguments = List.copyOf(arguments);
    }

    /** @return true when the operation threw */
    public boolean failed() {
        return failure != null;
    }
}
