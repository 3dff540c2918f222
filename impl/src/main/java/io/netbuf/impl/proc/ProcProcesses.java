package io.netbuf.impl.proc;

import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Processes} read from {@code /proc}: a process is its pid with its start time (field 22 of
 * {@code /proc/PID/stat}), the pid namespace of this process ({@code /proc/self/ns/pid}) and the
 * boot ({@code /proc/sys/kernel/random/boot_id}). A recorded process of another namespace or boot is
 * {@link Liveness#UNKNOWN}, never dead: its pid means nothing here. Reads only; no process is started.
 */
public final class ProcProcesses implements Processes {
    private static final Logger LOG = LoggerFactory.getLogger(ProcProcesses.class);
    /** Field 22 of {@code /proc/PID/stat} is the 20th after the command's closing parenthesis. */
    private static final int START_TIME_AFTER_COMMAND = 20;

    private final Path proc;

    /** Reads the machine's {@code /proc}. */
    public ProcProcesses() {
        this(Path.of("/proc"));
    }

    /**
     * @param proc where procfs is mounted (for tests of the parsing)
     */
    public ProcProcesses(Path proc) {
        this.proc = proc;
    }

    @Override
    public Optional<ProcessIdentity> self() {
        return identify(ProcessHandle.current().pid());
    }

    @Override
    public Optional<ProcessIdentity> identify(long pid) {
        try {
            Optional<Stat> stat = stat(pid);
            if (stat.isEmpty() || stat.get().zombie()) {
                return Optional.empty();
            }
            return Optional.of(new ProcessIdentity(pid, stat.get().startTicks(), pidNamespace(), bootId()));
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot identify process {}: {}", pid, e.toString());
            return Optional.empty();
        }
    }

    @Override
    public Liveness liveness(ProcessIdentity process) {
        try {
            if (!process.bootId().equalsIgnoreCase(bootId()) || process.pidNamespace() != pidNamespace()) {
                return Liveness.UNKNOWN;
            }
            Optional<Stat> stat = stat(process.pid());
            if (stat.isEmpty() || stat.get().zombie() || stat.get().startTicks() != process.startTicks()) {
                return Liveness.DEAD;
            }
            return Liveness.ALIVE;
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot tell whether process {} lives: {}", process.pid(), e.toString());
            return Liveness.UNKNOWN;
        }
    }

    @Override
    public String toString() {
        return "ProcProcesses[" + proc + "]";
    }

    /** The parts of {@code /proc/PID/stat} used here. */
    private record Stat(boolean zombie, long startTicks) {
    }

    /** @return the process's stat, or empty when there is no such process */
    private Optional<Stat> stat(long pid) throws IOException {
        String text;
        try {
            text = Files.readString(proc.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        return Optional.of(parseStat(text));
    }

    /**
     * @param text the contents of {@code /proc/PID/stat}
     * @return its state and start time
     */
    static Stat parseStat(String text) {
        // The command (field 2) is in parentheses and may hold anything, ')' and spaces included.
        int close = text.lastIndexOf(')');
        if (close < 0) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: " + text);
        }
        String[] fields = text.substring(close + 1).trim().split(" +");
        if (fields.length <= START_TIME_AFTER_COMMAND) {
            throw new IllegalArgumentException("too few fields in /proc/PID/stat: " + text);
        }
        String state = fields[0];
        return new Stat(state.equals("Z") || state.equals("X") || state.equals("x"),
                Long.parseLong(fields[START_TIME_AFTER_COMMAND - 1]));
    }

    private long pidNamespace() throws IOException {
        // "pid:[4026531836]"
        String link = Files.readSymbolicLink(proc.resolve("self/ns/pid")).toString();
        int open = link.indexOf('[');
        int close = link.indexOf(']', open + 1);
        if (open < 0 || close < 0) {
            throw new IOException("unexpected pid namespace link: " + link);
        }
        return Long.parseLong(link.substring(open + 1, close));
    }

    private String bootId() throws IOException {
        return Files.readString(proc.resolve("sys/kernel/random/boot_id"), StandardCharsets.UTF_8).trim();
    }
}
