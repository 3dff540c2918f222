package io.netbuf.cli.log;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.BasicMDCAdapter;
import org.slf4j.event.Level;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * The command line's SLF4J binding: one line per event on standard error, in the shape syslog and
 * journald use for a program's output ({@code remus-netbuf-setup[4711]: warning: message}), nothing
 * there when standard error is closed (libxl runs hotplug scripts that way), and for a hotplug call
 * also each line in its {@link HotplugLog} (the file, and syslog for warnings and errors). Configured
 * by {@link #configure} before the first logger is used; the level may also be set with the
 * environment variable {@code NETBUF_LOG} ({@code error}, {@code warn}, {@code info}, {@code debug},
 * {@code trace}, {@code off}). Thread-safe.
 */
public final class SyslogStyleProvider implements SLF4JServiceProvider, ILoggerFactory {
    private static final String API_VERSION = "2.0.99";
    private static volatile Sink sink = new Sink(null, null, "netbuf", Level.WARN);

    private final Map<String, Logger> loggers = new ConcurrentHashMap<>();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new BasicMDCAdapter();

    /** Where events go and which pass: {@code stream} and {@code hotplug} both null means off. */
    private record Sink(PrintStream stream, HotplugLog hotplug, String tag, Level threshold) {
        boolean passes(Level level) {
            return (stream != null || hotplug != null) && threshold != null && level.toInt() >= threshold.toInt();
        }
    }

    /** Created by SLF4J. */
    public SyslogStyleProvider() {
    }

    /**
     * Sets where every logger writes from now on.
     *
     * @param stream standard error, or null when it is closed (then nothing is written)
     * @param program the program name shown before each line, e.g. {@code remus-netbuf-setup}
     * @param threshold the least severe level written
     */
    public static void configure(PrintStream stream, String program, Level threshold) {
        configure(stream, null, program, threshold);
    }

    /**
     * Sets where every logger writes from now on: standard error and a hotplug call's log.
     *
     * @param stream standard error, or null when it is closed
     * @param hotplug the hotplug log (file and, for warnings and errors, syslog), or null
     * @param program the program name shown before each line, e.g. {@code remus-netbuf-setup}
     * @param threshold the least severe level written
     */
    public static void configure(PrintStream stream, HotplugLog hotplug, String program, Level threshold) {
        sink = new Sink(stream, hotplug, program + "[" + ProcessHandle.current().pid() + "]", threshold);
    }

    /**
     * @param name a level name ({@code error}, {@code warn}, {@code info}, {@code debug}, {@code trace}),
     *     or {@code off}; case does not matter
     * @return the level, or null for {@code off}
     * @throws IllegalArgumentException for any other name
     */
    public static Level parseLevel(String name) {
        String n = name.strip().toUpperCase(Locale.ROOT);
        if (n.equals("OFF")) {
            return null;
        }
        if (n.equals("WARNING")) {
            return Level.WARN;
        }
        return Level.valueOf(n);
    }

    boolean enabled(Level level) {
        return sink.passes(level);
    }

    void write(Level level, String logger, String message, Throwable throwable) {
        Sink s = sink;
        if (!s.passes(level)) {
            return;
        }
        StringBuilder line = new StringBuilder(label(level)).append(": ").append(message);
        if (level.toInt() <= Level.DEBUG.toInt()) {
            line.append(" [").append(logger.substring(logger.lastIndexOf('.') + 1)).append(']');
        }
        for (Throwable t = throwable; t != null; t = t.getCause()) {
            line.append(t == throwable ? " (" : "; caused by ").append(t.getClass().getSimpleName()).append(": ")
                    .append(t.getMessage());
            if (t.getCause() == null) {
                line.append(')');
            }
        }
        if (s.hotplug != null) {
            s.hotplug.line(severity(level), line.toString());
        }
        if (s.stream == null) {
            return;
        }
        synchronized (s.stream) {
            s.stream.println(s.tag + ": " + line);
        }
        if (throwable != null && level.toInt() <= Level.DEBUG.toInt()) {
            throwable.printStackTrace(s.stream);
        }
    }

    private static int severity(Level level) {
        switch (level) {
            case ERROR:
                return Syslog.ERR;
            case WARN:
                return Syslog.WARNING;
            case INFO:
                return Syslog.INFO;
            default:
                return Syslog.INFO + 1;
        }
    }

    private static String label(Level level) {
        switch (level) {
            case ERROR:
                return "error";
            case WARN:
                return "warning";
            case INFO:
                return "info";
            case DEBUG:
                return "debug";
            default:
                return "trace";
        }
    }

    @Override
    public Logger getLogger(String name) {
        return loggers.computeIfAbsent(name, n -> new SyslogStyleLogger(n, this));
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return this;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return API_VERSION;
    }

    @Override
    public void initialize() {
        // Nothing to set up: the sink is configured statically before the first logger is made.
    }
}
