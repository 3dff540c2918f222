package io.netbuf.impl.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netbuf.MissingToolException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner looks tools up in the PATH of the environment it was given, not the JVM's. */
class CommandRunnerPathTest {
    @TempDir
    Path bin;

    @Test
    void aToolMissingFromTheGivenPathIsMissingAlthoughTheJvmsPathHasIt() {
        CommandRunner runner = new CommandRunner(Duration.ofSeconds(5), Map.of("PATH", bin.toString()));
        MissingToolException e = assertThrows(MissingToolException.class,
                () -> runner.run("coreutils", "print", List.of("echo", "hi")));
        assertEquals("echo", e.tool());
        assertEquals("coreutils", e.debianPackage());
    }

    @Test
    void aToolInTheGivenPathRuns() throws Exception {
        Files.createSymbolicLink(bin.resolve("echo"), Path.of("/bin/echo").toRealPath());
        CommandRunner runner = new CommandRunner(Duration.ofSeconds(5), Map.of("PATH", "/nonexistent:" + bin));
        CommandRunner.Result result = runner.run("coreutils", "print", List.of("echo", "hi"));
        assertEquals("hi\n", result.stdout());
    }
}
