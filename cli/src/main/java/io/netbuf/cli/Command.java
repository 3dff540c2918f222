package io.netbuf.cli;

import java.util.List;

/** One sub-command of {@code netbuf}. */
public interface Command {
    /** @return the name it is invoked by, e.g. {@code demo} */
    String name();

    /** @return one line for the command list */
    String summary();

    /** @return the full help text ({@code --help}) */
    String help();

    /**
     * Runs the command.
     *
     * @param args the arguments after the command's name
     * @param context where to write and what to act on
     * @return the exit status ({@link Cli#OK}, {@link Cli#FAILURE}, {@link Cli#USAGE})
     * @throws UsageException when the arguments are wrong (exit status 2)
     * @throws io.netbuf.NetworkBufferException when the operation fails (exit status 1)
     */
    int run(List<String> args, Context context);
}
