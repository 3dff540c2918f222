package io.netbuf.cli.log;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;

/**
 * Where a hotplug call logs, as Xen's own hotplug scripts do, whether or not its standard streams
 * are open (libxl closes them): every line is appended to {@code /var/log/xen/xen-hotplug.log}, and
 * failures (warnings and errors) also go to syslog, facility {@code daemon}, tag
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

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX");

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
     * failure ({@link Syslog#WARNING} or worse), sends it to syslog.
     *
     * @param severity a syslog severity, e.g. {@link Syslog#ERR}
     * @param text the line, without the program's tag
     */
    public void line(int severity, String text) {
        String flat = text.replaceAll("[\\r\\n]+", " ");
        if (out != null) {
            byte[] bytes = (OffsetDateTime.now(ZoneOffset.UTC).format(STAMP) + " " + tag
                    + ": " + flat + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (this) {
                try {
                    out.write(bytes);
                } catch (IOException e) {
                    // a full or vanished log file: the line is lost, the call goes on
                }
            }
        }
        if (severity <= Syslog.WARNING) {
            syslog.send(severity, flat);
        }
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
