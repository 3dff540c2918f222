package io.netbuf.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts {@link ChildMain} in a new JVM with this JVM's class path and its {@code -XX:} options (in
 * the kernel lab: C1 only and the serial GC, which software emulation needs).
 */
final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * @param args the arguments of {@link ChildMain#main}
     * @return the started process (stderr inherited, stdout to read)
     * @throws IOException if it cannot start
     */
    static Process start(List<String> args) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.add("-cp");
        argv.add(System.getProperty("java.class.path"));
        argv.add("-Xmx256m");
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("-XX:")) {
                argv.add(option);
            }
        }
        argv.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
        argv.add(ChildMain.class.getName());
        argv.addAll(args);
        return new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /**
     * @param process a child
     * @return a reader of its standard output
     */
    static BufferedReader stdout(Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }
}
