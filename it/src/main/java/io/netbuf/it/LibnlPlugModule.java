package io.netbuf.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Debian's {@code nl-qdisc-add} looks for its plug module under {@code <libdir>/libnl/cli/qdisc/}
 * while {@code libnl-utils} installs it under {@code <libdir>/libnl-3/cli/qdisc/} (FACTS §4). This
 * fixture tells whether the module can be loaded, and, inside the kernel lab only (an overlay that
 * vanishes at poweroff), links the one directory to the other or removes that link.
 */
final class LibnlPlugModule {
    private LibnlPlugModule() {
    }

    /** @return {@code <libdir>/libnl-3}, where libnl-utils put its plug module, if it is installed */
    static Optional<Path> installed() {
        try (DirectoryStream<Path> libdirs = Files.newDirectoryStream(Path.of("/usr/lib"))) {
            for (Path libdir : libdirs) {
                if (Files.isRegularFile(libdir.resolve("libnl-3/cli/qdisc/plug.so"))) {
                    return Optional.of(libdir.resolve("libnl-3"));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Optional.empty();
    }

    /** @return whether {@code nl-qdisc-add} is on PATH (package libnl-utils) */
    static boolean toolInstalled() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nl-qdisc-add"))) {
                return true;
            }
        }
        return false;
    }

    /** @return whether {@code nl-qdisc-add} finds its plug module where it looks for it */
    static boolean loadable() {
        return installed().map(dir -> Files.isRegularFile(dir.resolveSibling("libnl").resolve("cli/qdisc/plug.so")))
                .orElse(false);
    }

    /**
     * Kernel lab only: makes {@code nl-qdisc-add} find its plug module, or not.
     *
     * @param present whether it must be found
     * @throws IllegalStateException outside the lab, or when a real {@code libnl} directory makes the
     *     module impossible to hide
     */
    static void link(boolean present) {
        if (!Lab.inside()) {
            throw new IllegalStateException("the libnl module link is changed only inside the kernel lab's overlay");
        }
        Path installed = installed().orElse(null);
        Requirements.require(installed != null, "libnl's plug module (package libnl-utils)");
        Path expected = installed.resolveSibling("libnl");
        try {
            if (present && !Files.exists(expected)) {
                Files.createSymbolicLink(expected, installed.getFileName());
            } else if (!present && Files.isSymbolicLink(expected)) {
                Files.delete(expected);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not " + (present ? "create" : "remove") + " " + expected, e);
        }
        if (Files.exists(expected) != present) {
            throw new IllegalStateException(expected + " is a real directory: this libnl-utils finds its plug "
                    + "module, so nl-qdisc-add's plug step cannot be made to fail by hiding it");
        }
    }
}
