package io.netbuf.cli;

import io.netbuf.cli.log.HotplugLog;
import io.netbuf.cli.log.SyslogStyleProvider;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.event.Level;

/**
 * Entry point of {@code netbuf.jar}. The launchers pass the name they were started by in the system
 * property {@code netbuf.invokedAs}, so a launcher named {@code remus-netbuf-setup} behaves as Xen's
 * script of that name.
 */
public final class Main {
    private Main() {
    }

    /**
     * Runs the command line and exits with its status.
     *
     * @param args the arguments
     */
    public static void main(String[] args) {
        run(args, new SystemHosts());
    }

    /**
     * The machine itself. A class, not a method reference: a lambda whose call site the class
     * archive's training did not link costs a short-lived process several milliseconds to spin.
     */
    static final class SystemHosts implements Function<Map<String, String>, Context.Hosts> {
        @Override
        public Context.Hosts apply(Map<String, String> environment) {
            return Context.Hosts.system(environment);
        }
    }

    /**
     * Runs the command line on the hosts {@code hosts} opens, exactly as {@link #main} does on the
     * machine itself (same stream guard, logging, exit), and exits with its status. For programs
     * that embed the command line with a host of their own, such as the benchmarks' stand-in for a
     * kernel without sch_plug.
     *
     * @param args the arguments
     * @param hosts makes the host factory from the process environment
     */
    public static void run(String[] args, Function<Map<String, String>, Context.Hosts> hosts) {
        // First, before anything opens a descriptor that could take the place of a closed stdout/stderr.
        StdStreams std = StdStreams.detectAndGuard();
        NativeWarmUp.start();
        Map<String, String> env = System.getenv();
        String invokedAs = System.getProperty("netbuf.invokedAs", Cli.PROGRAM);
        boolean hotplugCall = invokedAs.equals(RemusNetbufSetupCommand.NAME);
        // A hotplug call logs like Xen's scripts: its log file and syslog, whether stdio is open or not.
        HotplugLog hotplug = hotplugCall ? HotplugLog.open(RemusNetbufSetupCommand.NAME, env) : null;
        PrintStream err = hotplug != null ? hotplug.errors(std.err()) : std.err();
        int status;
        try {
            configureLogging(std, hotplug, args.length > 0 && invokedAs.equals(Cli.PROGRAM) ? args[0] : invokedAs,
                    env);
        } catch (IllegalArgumentException e) {
            err.println(Cli.PROGRAM + ": NETBUF_LOG must be error, warn, info, debug, trace or off, not '"
                    + env.get("NETBUF_LOG") + "'");
            System.exit(Cli.USAGE);
            return;
        }
        status = Cli.standard().run(invokedAs, List.of(args), new Context(std.out(), err, env, hosts.apply(env)));
        std.out().flush();
        if (hotplugCall) {
            // The hotplug script, run by libxl for every vif: it has released all it held and has no
            // shutdown hook, so it ends here. System.exit would first start the JDK's logging back end
            // just to log the exit, then run the JDK's hooks: several milliseconds of every call.
            std.err().flush();
            Runtime.getRuntime().halt(status);
        }
        System.exit(status);
    }

    /**
     * Initialises JNA on a second thread while the main one reads the command line and sets up
     * logging: the first use of JNA (its native library, and java.util.logging, which it logs
     * through) costs a hotplug call several milliseconds that another core can spend instead. The
     * main thread waits for it only if it gets to the real host first. Failures are left for the
     * main thread, which reports them where they matter.
     */
    static final class NativeWarmUp implements Runnable {
        /** Starts the warm-up thread. */
        static void start() {
            Thread thread = new Thread(new NativeWarmUp(), "netbuf-native-warm-up");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void run() {
            try {
                Class.forName("com.sun.jna.Native", true, Main.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                // the main thread meets the same problem when it needs JNA, and reports it
            }
        }
    }

    /**
     * Binds SLF4J to {@link SyslogStyleProvider} without a class-path scan and sets its level: info for
     * {@code remus-netbuf-setup} (Xen's script logs its outcome too), warnings otherwise.
     *
     * @param std the usable standard streams
     * @param hotplug a hotplug call's log, or null for other commands
     * @param command the command that will run (names the log lines)
     * @param env where {@code NETBUF_LOG} is read
     */
    static void configureLogging(StdStreams std, HotplugLog hotplug, String command, Map<String, String> env) {
        System.setProperty("slf4j.provider", SyslogStyleProvider.class.getName());
        System.setProperty("slf4j.internal.verbosity", "WARN");
        String requested = env.get("NETBUF_LOG");
        Level level = requested != null ? SyslogStyleProvider.parseLevel(requested)
                : command.equals(RemusNetbufSetupCommand.NAME) ? Level.INFO : Level.WARN;
        SyslogStyleProvider.configure(std.errOpen() ? std.err() : null, hotplug,
                command.equals(RemusNetbufSetupCommand.NAME) ? command : Cli.PROGRAM, level);
    }
}
