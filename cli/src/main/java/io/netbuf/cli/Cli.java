package io.netbuf.cli;

import io.netbuf.InsufficientPrivilegeException;
import io.netbuf.InvalidConfigurationException;
import io.netbuf.NetworkBufferException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The {@code netbuf} command line: finds the sub-command, runs it, and turns every outcome into an
 * exit status (0 done, 1 failed, 2 wrong usage) and at most one readable line on standard error.
 */
public final class Cli {
    /** Exit status: done. */
    public static final int OK = 0;
    /** Exit status: the operation failed. */
    public static final int FAILURE = 1;
    /** Exit status: the command line was wrong. */
    public static final int USAGE = 2;
    /** The program name; also the launcher that runs it. */
    public static final String PROGRAM = "netbuf";

    /** The option every command takes to print its version (and the JVM's) and exit 0. */
    public static final String VERSION_OPTION = "--version";

    private final Map<String, Command> commands = new LinkedHashMap<>();

    /** @param commands the sub-commands, in the order the help lists them */
    public Cli(List<Command> commands) {
        for (Command c : commands) {
            this.commands.put(c.name(), c);
        }
    }

    /** @return every command netbuf has */
    public static Cli standard() {
        return new Cli(List.of(new DemoCommand(), new RemusNetbufSetupCommand(), new StatusCommand(),
                new BufferCommand(), new ReapCommand()));
    }

    /**
     * Runs a command line.
     *
     * @param invokedAs the name the program was started by: {@code remus-netbuf-setup} runs that command
     *     with every argument; anything else takes the command from the first argument
     * @param args the arguments
     * @param context streams, environment and host
     * @return the exit status
     */
    public int run(String invokedAs, List<String> args, Context context) {
        Command command;
        List<String> rest;
        if (commands.containsKey(invokedAs)) {
            command = commands.get(invokedAs);
            rest = args;
        } else if (!args.isEmpty() && args.get(0).equals(VERSION_OPTION)) {
            context.out().print(versionText(PROGRAM));
            return OK;
        } else if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h")
                || args.get(0).equals("help")) {
            if (args.size() > 1 && commands.containsKey(args.get(1))) {
                context.out().print(commands.get(args.get(1)).help());
            } else {
                context.out().print(help());
            }
            return args.isEmpty() ? USAGE : OK;
        } else {
            command = commands.get(args.get(0));
            if (command == null) {
                context.err().println(PROGRAM + ": unknown command '" + args.get(0) + "' (commands: "
                        + String.join(", ", commands.keySet()) + "; see '" + PROGRAM + " --help')");
                return USAGE;
            }
            rest = args.subList(1, args.size());
        }
        String program = command.name().equals(invokedAs) ? invokedAs : PROGRAM + " " + command.name();
        if (rest.contains(VERSION_OPTION)) {
            context.out().print(versionText(program));
            return OK;
        }
        if (Options.asksForHelp(rest)) {
            context.out().print(command.help());
            return OK;
        }
        try {
            return command.run(rest, context);
        } catch (UsageException e) {
            context.err().println(program + ": " + e.getMessage() + " (see '" + program + " --help')");
            return USAGE;
        } catch (InvalidConfigurationException e) {
            context.err().println(program + ": " + oneLine(e));
            return USAGE;
        } catch (NetworkBufferException e) {
            context.err().println(program + ": " + oneLine(InsufficientPrivilegeException.explain(program, e)));
            return FAILURE;
        }
    }

    /** @return the top-level help: what netbuf is and its commands */
    public String help() {
        StringBuilder out = new StringBuilder();
        out.append("Usage: ").append(PROGRAM).append(" COMMAND [OPTIONS]   (").append(PROGRAM)
                .append(" COMMAND --help for details)\n\n")
                .append("Output buffering for Remus/COLO checkpointed Xen guests: a guest vif's traffic is\n")
                .append("redirected into an IFB whose plug qdisc holds it until its checkpoint is committed.\n\n")
                .append("Commands:\n");
        int width = commands.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Command c : commands.values()) {
            out.append("  ").append(c.name()).append(" ".repeat(width - c.name().length() + 2)).append(c.summary())
                    .append('\n');
        }
        out.append("\n--version prints the version. Exit status: 0 done, 1 failed, 2 wrong usage. Log level: NETBUF_LOG=error|warn|info|debug|off.\n");
        return out.toString();
    }

    /** @return netbuf's version, from the build ({@code unknown} when run from unpackaged classes) */
    public static String version() {
        try (InputStream in = Cli.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "unknown";
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * @param program the name the program was started by, e.g. {@code remus-netbuf-setup}
     * @return what {@code --version} prints: the program, netbuf's version and the JVM that runs it
     */
    static String versionText(String program) {
        return program + " (netbuf) " + version() + "\n"
                + "java " + System.getProperty("java.version") + " (" + System.getProperty("java.home") + ")\n";
    }

    /**
     * @param failure a failure
     * @return its message and type, and those of its causes, on one line
     */
    public static String oneLine(Throwable failure) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = failure; t != null && parts.size() < 4; t = t.getCause()) {
            String message = t.getMessage() == null ? "" : t.getMessage().replaceAll("\\s+", " ").strip();
            if (t == failure) {
                parts.add(message + " [" + t.getClass().getSimpleName() + "]");
            } else if (!failure.getMessage().contains(message) || message.isEmpty()) {
                parts.add("caused by " + t.getClass().getSimpleName() + (message.isEmpty() ? "" : ": " + message));
            }
        }
        return String.join("; ", parts);
    }
}
