package io.netbuf.it;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's own files are, found from the test's working directory (a module). */
public final class RepoLayout {
    private static final String LAB_SCRIPT = "it/kernel-lab/lab.sh";

    private RepoLayout() {
    }

    /** @return the repository's root: the nearest directory up from here that has the kernel lab */
    public static Path root() {
        Path here = Path.of("").toAbsolutePath();
        for (Path dir = here; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(LAB_SCRIPT))) {
                return dir;
            }
        }
        throw new IllegalStateException("not inside a netbuf checkout (no " + LAB_SCRIPT + " above " + here + ")");
    }

    /** @return the kernel lab's runner, {@code it/kernel-lab/lab.sh} */
    public static Path labScript() {
        return root().resolve(LAB_SCRIPT);
    }
}
