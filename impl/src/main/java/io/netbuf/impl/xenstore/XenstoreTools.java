package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.Xenstore;
import io.netbuf.spi.XenstoreOps;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * XenStore through Xen's command-line tools ({@code xenstore-read}, {@code -write}, {@code -list},
 * {@code -exists}, {@code -rm}, package {@code xenstore-utils}), each call a separate process run
 * by {@link CommandRunner}: argv only, with its timeout. Paths are checked first, and {@code --}
 * ends the options, so neither a path nor a value starting with {@code -} is taken for an option. Values are escaped and unescaped the way the
 * tools expect ({@code \\}, {@code \t}, {@code \xNN}, ...), so any value round-trips.
 *
 * <p>The tools report failures only as text, not errno: "couldn't read path" means the node is
 * missing, "could not list path" and "could not remove path" are ENOENT, a tool that cannot reach
 * xenstored is EIO. Not transactional: {@link #transaction} runs its body directly. Thread-safe.
 */
public final class XenstoreTools implements Xenstore {
    /** The Debian package that provides the tools. */
    public static final String PACKAGE = "xenstore-utils";

    private final CommandRunner runner;
    private final String prefix;

    /** @param runner runs the tools, found on the PATH (its environment may carry {@code XENSTORED_PATH}) */
    public XenstoreTools(CommandRunner runner) {
        this(runner, null);
    }

    /**
     * @param runner runs the tools (its environment may carry {@code XENSTORED_PATH})
     * @param directory where the tools are installed, or null to find them on the PATH
     */
    public XenstoreTools(CommandRunner runner, java.nio.file.Path directory) {
        this.runner = runner;
        this.prefix = directory == null ? "" : directory.toString() + "/";
    }

    @Override
    public Optional<String> read(String path) {
        XenstorePaths.check("read", path);
        CommandRunner.Result r = run("read", CommandRunner.argv("xenstore-read", "--", path));
        if (r.ok()) {
            String out = r.stdout();
            if (out.endsWith("\n")) {
                out = out.substring(0, out.length() - 1);
            }
            return Optional.of(new String(unsanitise(out), StandardCharsets.UTF_8));
        }
        if (r.stderr().contains("couldn't read path")) {
            return Optional.empty();
        }
        throw failure("read", path, r);
    }

    @Override
    public void write(String path, String value) {
        XenstorePaths.check("write", path);
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (path.getBytes(StandardCharsets.UTF_8).length + 1 + bytes.length > XenstoreWire.MAX_PAYLOAD) {
            throw new XenstoreException("write", path, "E2BIG",
                    "path and value exceed the " + XenstoreWire.MAX_PAYLOAD + "-byte message limit", null);
        }
        CommandRunner.Result r = run("write", CommandRunner.argv("xenstore-write", "--", path, sanitise(bytes)));
        if (!r.ok()) {
            throw failure("write", path, r);
        }
    }

    /** Creates the node with an empty value unless it exists (the tools have no mkdir; not atomic). */
    @Override
    public void mkdir(String path) {
        XenstorePaths.check("mkdir", path);
        if (!exists(path)) {
            write(path, "");
        }
    }

    @Override
    public List<String> list(String path) {
        XenstorePaths.check("directory", path);
        CommandRunner.Result r = run("directory", CommandRunner.argv("xenstore-list", "--", path));
        if (!r.ok()) {
            throw failure("directory", path, r);
        }
        return r.stdout().lines().filter(l -> !l.isEmpty()).toList();
    }

    @Override
    public boolean exists(String path) {
        XenstorePaths.check("exists", path);
        CommandRunner.Result r = run("exists", CommandRunner.argv("xenstore-exists", "--", path));
        if (r.ok()) {
            return true;
        }
        if (r.exitCode() == 1 && r.stderr().isBlank()) {
            return false;
        }
        throw failure("exists", path, r);
    }

    @Override
    public void rm(String path) {
        XenstorePaths.checkRemovable(path);
        CommandRunner.Result r = run("rm", CommandRunner.argv("xenstore-rm", "--", path));
        if (!r.ok()) {
            throw failure("rm", path, r);
        }
    }

    /** Runs {@code body} once against this backend: the tools cannot group requests atomically. */
    @Override
    public <T> T transaction(Function<XenstoreOps, T> body) {
        return body.apply(this);
    }

    /** @return false: every tool call stands alone */
    @Override
    public boolean isTransactional() {
        return false;
    }

    @Override
    public String toString() {
        return "XenstoreTools";
    }

    private CommandRunner.Result run(String operation, List<String> argv) {
        if (!prefix.isEmpty()) {
            argv.set(0, prefix + argv.get(0));
        }
        return runner.run(PACKAGE, "xenstore " + operation, argv);
    }

    /** Maps a tool's failure to the errno xenstored most likely answered. */
    static XenstoreException failure(String operation, String path, CommandRunner.Result r) {
        return new XenstoreException(operation, path, errnoOf(r.stderr()),
                "`" + String.join(" ", r.argv()) + "` exited " + r.exitCode() + ": " + r.stderr().strip(), null);
    }

    static String errnoOf(String stderr) {
        if (stderr.contains("could not list path") || stderr.contains("could not remove path")
                || stderr.contains("couldn't read path")) {
            return "ENOENT";
        }
        if (stderr.contains("could not write path") || stderr.contains("Permission denied")) {
            return "EACCES";
        }
        return "EIO";
    }

    /** Escapes raw bytes the way the tools' {@code unsanitise_value} reads them back. */
    static String sanitise(byte[] value) {
        StringBuilder out = new StringBuilder(value.length);
        for (byte b : value) {
            int c = b & 0xff;
            if (c == '\\') {
                out.append("\\\\");
            } else if (c >= ' ' && c <= '~') {
                out.append((char) c);
            } else if (c == '\t') {
                out.append("\\t");
            } else if (c == '\n') {
                out.append("\\n");
            } else if (c == '\r') {
                out.append("\\r");
            } else {
                out.append(String.format("\\x%02x", c));
            }
        }
        return out.toString();
    }

    /** Decodes the tools' {@code sanitise_value} output: {@code \\ \t \n \r \xNN \NNN}. */
    static byte[] unsanitise(String text) {
        byte[] in = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length);
        for (int i = 0; i < in.length; i++) {
            byte c = in[i];
            if (c != '\\' || i + 1 == in.length) {
                out.write(c);
                continue;
            }
            byte e = in[++i];
            switch (e) {
                case 't': out.write('\t'); break;
                case 'n': out.write('\n'); break;
                case 'r': out.write('\r'); break;
                case 'x':
                    if (i + 2 < in.length && isHex(in[i + 1]) && isHex(in[i + 2])) {
                        out.write(Integer.parseInt(new String(in, i + 1, 2, StandardCharsets.US_ASCII), 16));
                        i += 2;
                    } else {
                        out.write('\\');
                        out.write(e);
                    }
                    break;
                default:
                    if (i + 2 < in.length && isOctal(e) && isOctal(in[i + 1]) && isOctal(in[i + 2])) {
                        out.write(Integer.parseInt(new String(in, i, 3, StandardCharsets.US_ASCII), 8));
                        i += 2;
                    } else {
                        out.write(e);
                    }
            }
        }
        return out.toByteArray();
    }

    private static boolean isHex(byte b) {
        return (b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');
    }

    private static boolean isOctal(byte b) {
        return b >= '0' && b <= '7';
    }
}
