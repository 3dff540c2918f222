package io.netbuf.impl.tools;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.exec.CommandRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Runs iproute2's {@code ip} and {@code tc}, optionally inside a named network namespace
 * ({@code -n NS}), and parses their JSON output. Shared by the tools backends.
 */
final class Iproute2 {
    /** The Debian package that provides {@code ip} and {@code tc}. */
    static final String PACKAGE = "iproute2";

    private final CommandRunner runner;
    private final String namespace;

    /**
     * @param runner the command runner
     * @param namespace a network namespace name as {@code ip netns} knows it, or null for the caller's own
     * @throws InvalidConfigurationException if the namespace name is not a valid file name
     */
    Iproute2(CommandRunner runner, String namespace) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.namespace = namespace == null ? null : validNamespace(namespace);
    }

    /** @return the namespace commands run in, or null for the caller's own */
    String namespace() {
        return namespace;
    }

    /** @return a suffix for descriptions, e.g. {@code " in netns test1"} */
    String where() {
        return namespace == null ? "" : " in netns " + namespace;
    }

    /**
     * Runs {@code ip [-n NS] args} and requires success.
     *
     * @param operation what netbuf is doing, for errors
     * @param args the arguments after the namespace option
     * @return standard output
     */
    String ip(String operation, String... args) {
        return runner.check(PACKAGE, operation, argv("ip", args));
    }

    /**
     * Runs {@code ip [-n NS] args} and returns the result whatever the exit status.
     *
     * @param operation what netbuf is doing, for errors
     * @param args the arguments after the namespace option
     * @return the result
     */
    CommandRunner.Result ipResult(String operation, String... args) {
        return runner.run(PACKAGE, operation, argv("ip", args));
    }

    /**
     * Runs {@code tc [-n NS] args} and requires success.
     *
     * @param operation what netbuf is doing, for errors
     * @param args the arguments after the namespace option
     * @return standard output
     */
    String tc(String operation, String... args) {
        return runner.check(PACKAGE, operation, argv("tc", args));
    }

    /**
     * Runs {@code tc [-n NS] args} and returns the result whatever the exit status.
     *
     * @param operation what netbuf is doing, for errors
     * @param args the arguments after the namespace option
     * @return the result
     */
    CommandRunner.Result tcResult(String operation, String... args) {
        return runner.run(PACKAGE, operation, argv("tc", args));
    }

    /**
     * Parses the JSON array a {@code -j} command printed. Empty output (older tools print
     * nothing when there is nothing to list) is an empty array.
     *
     * @param operation what netbuf is doing, for errors
     * @param tool the tool's argv[0]
     * @param stdout what it printed
     * @return the array's objects
     * @throws OperationFailedException if the output is not a JSON array of objects
     */
    static List<Map<String, Object>> parseArray(String operation, String tool, String stdout) {
        if (stdout.isBlank()) {
            return List.of();
        }
        try {
            return IprouteJson.objects(IprouteJson.parse(stdout), tool + " -j output");
        } catch (IllegalArgumentException e) {
            throw OperationFailedException.of(operation, "could not parse the JSON output of " + tool
                    + " (iproute2 4.13 or newer is needed): " + e.getMessage(), null, null, e);
        }
    }

    private List<String> argv(String tool, String... args) {
        List<String> argv = new ArrayList<>(args.length + 3);
        argv.add(tool);
        if (namespace != null) {
            argv.add("-n");
            argv.add(namespace);
        }
        argv.addAll(List.of(args));
        return argv;
    }

    private static String validNamespace(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.length() > 255) {
            throw InvalidConfigurationException.of("network namespace", name,
                    "must be a non-empty file name of at most 255 characters, not '.' or '..'");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c <= 0x20 || c >= 0x7f) {
                throw InvalidConfigurationException.of("network namespace", name,
                        "must contain only printable ASCII without '/' or whitespace");
            }
        }
        return name;
    }
}
