package io.netbuf.cli.log;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where a hotplug call logs, as Xen's own hotplug scripts do, whether or not its standard streams
 * are open (libxl closes them): every line is appended to {@code /var/log/xen/xen-hotplug.log}, and
 * failures (errors; a warning is not one) also go to syslog, facility {@code daemon}, tag
 * {@code remus-netbuf-setup}. {@code NETBUF_HOTPLUG_LOG} and {@code NETBUF_SYSLOG_SOCKET} name other
 * places (tests). A log file that cannot be opened costs the file's lines, never the call.
 */
public final class HotplugLog {
    /** Xen's hotplug log. */
    public static final Path DEFAULT_FILE = Path.of("/var/log/xen/xen-hotplug.log");
    /** Environment variable naming another log file. */
    public static final String FILE_ENV = "NETBUF_HOTPLUG_LOG";
    /** Environment variable naming another syslog socket. */
    public static final String SOCKET_ENV = "NETBUF_SYSLOG_SOCKET";


    private final Path file;
    private final OutputStream out;
    private final Syslog syslog;
    private final String program;
    private final String tag;

    private HotplugLog(Path file, OutputStream out, Syslog syslog, String program) {
        this.file = file;
        this.out = out;
        this.syslog = syslog;
        this.program = program;
        this.tag = program + "[" + ProcessHandle.current().pid() + "]";
    }

    /**
     * Opens the log file for appending (it is created, mode 0644 under the usual umask, when its
     * directory exists).
     *
     * @param program the program name, e.g. {@code remus-netbuf-setup}
     * @param env where {@link #FILE_ENV} and {@link #SOCKET_ENV} are read
     * @return the log; its file part is off when the file cannot be opened
     */
    public static HotplugLog open(String program, Map<String, String> env) {
        Path file = Path.of(env.getOrDefault(FILE_ENV, DEFAULT_FILE.toString()));
        Path socket = Path.of(env.getOrDefault(SOCKET_ENV, Syslog.DEFAULT_SOCKET.toString()));
        OutputStream out;
        try {
            out = new FileOutputStream(file.toFile(), true);
        } catch (IOException | SecurityException e) {
            out = null;
        }
        return new HotplugLog(file, out, new Syslog(socket, program), program);
    }

    /** @return the log file, whether or not it could be opened */
    public Path file() {
        return file;
    }

    /** @return whether lines reach the log file */
    public boolean fileOpen() {
        return out != null;
    }

    /**
     * Appends one line to the file ({@code <time> <tag>: <text>}) and, when {@code severity} is a
     * failure ({@link Syslog#ERR} or worse), sends it to syslog.
     *
     * @param severity a syslog severity, e.g. {@link Syslog#ERR}
     * @param text the line, without the program's tag
     */
    public void line(int severity, String text) {
        String flat = oneLine(text);
        if (out != null) {
            byte[] bytes = (utcStamp(System.currentTimeMillis()) + " " + tag + ": " + flat + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                try {
                    out.write(bytes);
                } catch (IOException e) {
                    // a full or vanished log file: the line is lost, the call goes on
                }
            }
        }
        if (severity <= Syslog.ERR) {
            syslog.send(severity, flat);
        }
    }

    /**
     * @param millis milliseconds since the epoch
     * @return that instant as {@code 2026-12-03T12:22:41.990Z}; by hand, because a {@code DateTimeFormatter}
     *     costs a hotplug call tens of milliseconds of class loading in the interpreter
     */
    static String utcStamp(long millis) {
        long seconds = Math.floorDiv(millis, 1000);
        long days = Math.floorDiv(seconds, 86_400);
        int secondOfDay = (int) Math.floorMod(seconds, 86_400);
        // the civil date of a day count (H. Hinnant's days_from_civil, inverted)
        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097);
        long dayOfEra = z - era * 146_097;
        long yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365;
        long dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
        long mp = (5 * dayOfYear + 2) / 153;
        int day = (int) (dayOfYear - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
        StringBuilder b = new StringBuilder(24).append(year).append('-');
        pad(b, month, 2).append('-');
        pad(b, day, 2).append('T');
        pad(b, secondOfDay / 3600, 2).append(':');
        pad(b, secondOfDay / 60 % 60, 2).append(':');
        pad(b, secondOfDay % 60, 2).append('.');
        return pad(b, (int) Math.floorMod(millis, 1000), 3).append('Z').toString();
    }

    /**
     * @param text a message
     * @return it with line breaks as spaces (no regex: cheap in the interpreter)
     */
    static String oneLine(String text) {
        return text.indexOf('\n') < 0 && text.indexOf('\r') < 0 ? text : text.replace('\r', ' ').replace('\n', ' ');
    }

    private static StringBuilder pad(StringBuilder b, int value, int width) {
        String digits = Integer.toString(value);
        for (int i = digits.length(); i < width; i++) {
            b.append('0');
        }
        return b.append(digits);
    }

    /**
     * A stream for the command line's error lines (wrong usage, the failure's cause): each line goes
     * to {@code stderr} as it is and to this log as an error.
     *
     * @param stderr standard error (may discard everything)
     * @return the stream to give the command line as its standard error
     */
    public PrintStream errors(PrintStream stderr) {
        return new PrintStream(new OutputStream() {
            private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

            @Override
            public synchronized void write(int b) {
                stderr.write(b);
                if (b == '\n') {
                    String text = pending.toString(StandardCharsets.UTF_8);
                    line(Syslog.ERR, "error: " + (text.startsWith(program + ": ")
                            ? text.substring(program.length() + 2) : text));
                    pending.reset();
                } else {
                    pending.write(b);
                }
            }

            @Override
            public void flush() {
                stderr.flush();
            }
        }, true, StandardCharsets.UTF_8);
    }
}
