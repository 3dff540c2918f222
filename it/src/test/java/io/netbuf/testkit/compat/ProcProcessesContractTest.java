package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.proc.ProcProcesses;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The processes kit against the machine's {@code /proc} ({@link ProcProcesses}), with real child processes. */
class ProcProcessesContractTest extends ProcessesContract {
    private final ProcProcesses processes = new ProcProcesses();
    private final Map<Long, Process> children = new HashMap<>();

    @Override
    protected Processes processes() {
        return processes;
    }

    @Override
    protected ProcessIdentity startProcess() {
        try {
            Process child = new ProcessBuilder("sleep", "600").redirectErrorStream(true).start();
            children.put(child.pid(), child);
            return processes.identify(child.pid()).orElseThrow(() -> new AssertionError("the child is not found"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected void kill(ProcessIdentity process) {
        Process child = children.remove(process.pid());
        child.destroyForcibly();
        try {
            assertTrue(child.waitFor(10, TimeUnit.SECONDS), "the child did not end within 10 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
