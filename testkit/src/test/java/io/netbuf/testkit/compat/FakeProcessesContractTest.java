package io.netbuf.testkit.compat;

import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeProcesses;

/** The processes kit against {@link FakeProcesses}. */
class FakeProcessesContractTest extends ProcessesContract {
    private final FakeProcesses processes = FakeHost.create().processes();

    @Override
    protected Processes processes() {
        return processes;
    }

    @Override
    protected ProcessIdentity startProcess() {
        return processes.start();
    }

    @Override
    protected void kill(ProcessIdentity process) {
        processes.kill(process);
    }
}
