package io.netbuf.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's standard output and error, as far as they are usable. libxl runs hotplug scripts
 * with stdio closed; the JVM may then have opened its own files on descriptors 0-2 before
 * {@code main}, so writing to "stderr" could land in the jar or, later, in the XenStore socket. A
 * descriptor counts as open only when it exists and was opened for writing; otherwise its stream is
 * replaced by one that discards everything.
 *
 * @param out standard output, or a discarding stream
 * @param err standard error, or a discarding stream
 * @param outOpen whether standard output is usable
 * @param errOpen whether standard error is usable
 */
public record StdStreams(PrintStream out, PrintStream err, boolean outOpen, boolean errOpen) {
    private static final Path FDINFO = Path.of("/proc/self/fdinfo");
    private static final int O_ACCMODE = 3;
    private static final int O_RDONLY = 0;

    /**
     * Checks descriptors 1 and 2 and, where one is not usable, points {@link System#out} or
     * {@link System#err} at a discarding stream so nothing else writes there either. Must run before
     * this process opens any file or socket.
     *
     * @return the usable streams
     */
    public static StdStreams detectAndGuard() {
        boolean outOpen = writable(FDINFO, 1);
        boolean errOpen = writable(FDINFO, 2);
        if (!outOpen) {
            System.setOut(discarding());
        }
        if (!errOpen) {
            System.setErr(discarding());
        }
        return new StdStreams(System.out, System.err, outOpen, errOpen);
    }

    /**
     * @param fdinfo the {@code /proc/<pid>/fdinfo} directory to read
     * @param fd a file descriptor
     * @return whether {@code fd} is open for writing; true when {@code fdinfo} cannot be read at all
     *     (no procfs: assume the conventional setup)
     */
    static boolean writable(Path fdinfo, int fd) {
        if (!Files.isDirectory(fdinfo)) {
            return true;
        }
        String info;
        try {
            info = Files.readString(fdinfo.resolve(Integer.toString(fd)), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return false;
        }
        for (String line : info.split("\n")) {
            if (line.startsWith("flags:")) {
                try {
                    int flags = Integer.parseInt(line.substring("flags:".length()).strip(), 8);
                    return (flags & O_ACCMODE) != O_RDONLY;
                } catch (NumberFormatException e) {
                    return false;
                }
            }
        }
        return false;
    }

    /** @return a stream that accepts and drops everything */
    static PrintStream discarding() {
        return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    }
}
