package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A copy of the build's launcher tree (bin/netbuf, bin/remus-netbuf-setup, target/netbuf.jar, its class
 * archives, target/jna) in a directory of the test's: run by root, the launcher runs only a tree root alone
 * can change, which a checkout need not be (a group-writable parent), while a test's temporary directory is.
 */
final class LauncherTree {
    private LauncherTree() {
    }

    /** @return the build's cli directory, from the {@code netbuf.launcher} property failsafe sets */
    static Path cli() {
        Path launcher = Path.of(System.getProperty("netbuf.launcher", "bin/remus-netbuf-setup")).toAbsolutePath();
        Path cli = launcher.getParent().getParent();
        assertTrue(Files.isReadable(cli.resolve("target/netbuf.jar")), "build the jar first: mvn package");
        return cli;
    }

    /**
     * @param tree where to make the copy (created; its parents must be root's)
     * @return {@code tree/bin/remus-netbuf-setup}
     * @throws IOException when a file cannot be copied
     * @throws InterruptedException when interrupted while copying
     */
    static Path copy(Path tree) throws IOException, InterruptedException {
        Path cli = cli();
        Files.createDirectories(tree.resolve("bin"));
        Files.createDirectories(tree.resolve("target"));
        Files.copy(cli.resolve("bin/netbuf"), tree.resolve("bin/netbuf"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createSymbolicLink(tree.resolve("bin/remus-netbuf-setup"), Path.of("netbuf"));
        List<String> argv = new java.util.ArrayList<>(List.of("cp", "-rp", cli.resolve("target/netbuf.jar").toString(),
                cli.resolve("target/jna").toString()));
        try (var files = Files.list(cli.resolve("target"))) {
            files.filter(f -> f.getFileName().toString().matches("netbuf-.*\\.(jsa|aot)")).forEach(f -> argv.add(f.toString()));
        }
        argv.add(tree.resolve("target").toString());
        Process p = new ProcessBuilder(argv).inheritIO().start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "cp " + argv);
        return tree.resolve("bin/remus-netbuf-setup");
    }
}
