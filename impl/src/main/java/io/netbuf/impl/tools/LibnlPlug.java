package io.netbuf.impl.tools;

import io.netbuf.MissingToolException;
import io.netbuf.NetworkBufferException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.PlugAction;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The plug qdisc driven through libnl's {@code nl-qdisc-add} (package {@code libnl-utils}), run
 * inside a named namespace through {@code ip netns exec} (the tool has no namespace option).
 */
final class LibnlPlug {
    /** The Debian package that provides {@code nl-qdisc-add}. */
    static final String PACKAGE = "libnl-utils";
    /** The tool. */
    static final String ADD = "nl-qdisc-add";
    private static final Pattern MODULE = Pattern.compile("Unable to load module \"([^\"]+)\"");
    private static final Pattern DEBIAN_MODULE = Pattern.compile("(.*)/libnl/cli/qdisc/plug\\.so");
    /** What {@code ip netns exec} prints when it cannot find the program. */
    private static final String EXEC_FAILED = "exec of \"" + ADD + "\" failed";

    private final CommandRunner runner;
    private final Iproute2 tools;

    /**
     * @param runner runs the commands
     * @param tools gives the namespace (already validated) and descriptions
     */
    LibnlPlug(CommandRunner runner, Iproute2 tools) {
        this.runner = Objects.requireNonNull(runner, "runner");
        this.tools = Objects.requireNonNull(tools, "tools");
    }

    /**
     * Creates the root plug with its limit in the same request, so it never drops everything as
     * a plug created with limit 0 does (FACTS §4). Fails if the device already has a root qdisc.
     */
    void add(String ifb, long limitBytes) {
        run("add plug qdisc to " + ifb + tools.where(), argv(ifb, false, List.of("--limit=" + limitBytes)));
    }

    /** Applies an action to the root plug of one IFB; never creates a plug where there is none. */
    void apply(String ifb, PlugAction action) {
        run("plug " + action.label() + " on " + ifb + tools.where(), argv(ifb, true, options(action)));
    }

    /**
     * @param action a plug action
     * @return the options libnl's plug module takes for it
     */
    static List<String> options(PlugAction action) {
        switch (action.code()) {
            case PlugAction.BUFFER_CODE:
                return List.of("--buffer");
            case PlugAction.RELEASE_ONE_CODE:
                return List.of("--release-one");
            case PlugAction.RELEASE_INDEFINITE_CODE:
                return List.of("--release-indefinite");
            default:
                return List.of("--limit=" + action.limit());
        }
    }

    /**
     * {@code --update-only} (no NLM_F_CREATE), like {@code tc qdisc change}: with {@code --update}
     * a missing plug would be created by the action itself, with limit 0.
     */
    private List<String> argv(String ifb, boolean change, List<String> plugOptions) {
        List<String> argv = new ArrayList<>();
        if (tools.namespace() != null) {
            argv.addAll(List.of("ip", "netns", "exec", tools.namespace()));
        }
        argv.addAll(List.of(ADD, "--quiet", "--dev=" + ifb, "--parent=root"));
        if (change) {
            argv.add("--update-only");
        }
        argv.add("plug");
        argv.addAll(plugOptions);
        return argv;
    }

    private void run(String operation, List<String> argv) {
        String tool = argv.get(0).equals(ADD) ? PACKAGE : Iproute2.PACKAGE;
        CommandRunner.Result result = runner.run(tool, operation, argv);
        if (!result.ok()) {
            throw failure(operation, result);
        }
    }

    /**
     * Maps a failed run to the typed exception: the tool missing inside the namespace, libnl's
     * plug module not found (named with its workarounds), or the tool's own error.
     *
     * @param operation what netbuf was doing
     * @param result the failed run
     * @return the exception to throw
     */
    static NetworkBufferException failure(String operation, CommandRunner.Result result) {
        String stderr = result.stderr().strip();
        if (stderr.contains(EXEC_FAILED)) {
            return new MissingToolException(ADD, PACKAGE, null, null);
        }
        Matcher module = MODULE.matcher(stderr);
        if (module.find()) {
            return OperationFailedException.ofCommand(operation, result.argv(), result.exitCode(),
                    moduleMissing(module.group(1)) + " (" + ADD + " said: " + stderr + ")", null, null);
        }
        return OperationFailedException.ofCommand(operation, result.argv(), result.exitCode(), stderr, null, null);
    }

    private static String moduleMissing(String path) {
        Matcher debian = DEBIAN_MODULE.matcher(path);
        if (debian.matches()) {
            String libdir = debian.group(1);
            return ADD + " cannot load libnl's plug module: it looks for " + path + " but Debian's " + PACKAGE
                    + " installs it under " + libdir + "/libnl-3/cli/qdisc/. netbuf does not change the host;"
                    + " either link the directory (ln -s libnl-3 " + libdir + "/libnl) or drive the plug with tc"
                    + " (PlugTool.TC, -Dnetbuf.plugTool=tc)";
        }
        return ADD + " cannot load libnl's plug module " + path + " (package " + PACKAGE + "); reinstall "
                + PACKAGE + " or drive the plug with tc (PlugTool.TC, -Dnetbuf.plugTool=tc)";
    }
}
