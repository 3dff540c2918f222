package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.Validate;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import io.netbuf.spi.Processes.Liveness;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Compatibility kit for {@link Processes}: this process is identified and alive; a started process
 * is alive until killed, then dead; a pid with another start time (reused) is dead; a process
 * recorded in another pid namespace or boot is unknown, never dead; a pid nobody has is dead and
 * identifies nothing. A backend's test implements how to start and kill a process.
 */
public abstract class ProcessesContract {
    /** For subclasses. */
    protected ProcessesContract() {
    }

    /** @return the port under test */
    protected abstract Processes processes();

    /**
     * Starts a process that runs until {@link #kill(ProcessIdentity)}.
     *
     * @return its identity, as the port gives it
     */
    protected abstract ProcessIdentity startProcess();

    /**
     * Kills a process (SIGKILL) and waits until it is gone.
     *
     * @param process a process {@link #startProcess()} gave
     */
    protected abstract void kill(ProcessIdentity process);

    private ProcessIdentity self() {
        Optional<ProcessIdentity> self = processes().self();
        assertTrue(self.isPresent(), "this process must be identified");
        return self.get();
    }

    @Test
    void thisProcessIsIdentifiedAndAlive() {
        ProcessIdentity self = self();
        assertEquals(Liveness.ALIVE, processes().liveness(self));
        assertEquals(Optional.of(self), processes().identify(self.pid()));
        assertEquals(Optional.of(self), ProcessIdentity.parse(self.encode()), "the stored form reads back");
    }

    @Test
    void aStartedProcessIsAliveUntilKilledThenDead() {
        ProcessIdentity child = startProcess();
        try {
            assertEquals(Liveness.ALIVE, processes().liveness(child));
            assertEquals(Optional.of(child), processes().identify(child.pid()));
            assertEquals(self().pidNamespace(), child.pidNamespace());
            assertEquals(self().bootId(), child.bootId());
        } finally {
            kill(child);
        }
        assertEquals(Liveness.DEAD, processes().liveness(child));
        assertEquals(Optional.empty(), processes().identify(child.pid()));
    }

    @Test
    void aPidWithAnotherStartTimeIsAnotherProcessSoTheRecordedOneIsDead() {
        ProcessIdentity self = self();
        ProcessIdentity before = new ProcessIdentity(self.pid(), self.startTicks() + 1, self.pidNamespace(),
                self.bootId());
        assertEquals(Liveness.DEAD, processes().liveness(before));
    }

    @Test
    void aProcessOfAnotherPidNamespaceIsUnknown() {
        ProcessIdentity self = self();
        assertEquals(Liveness.UNKNOWN, processes().liveness(new ProcessIdentity(self.pid(), self.startTicks(),
                self.pidNamespace() + 1, self.bootId())));
        assertEquals(Liveness.UNKNOWN, processes().liveness(new ProcessIdentity(Validate.MAX_PID, 1,
                self.pidNamespace() + 1, self.bootId())), "even a pid nobody has here");
    }

    @Test
    void aProcessOfAnotherBootIsUnknown() {
        ProcessIdentity self = self();
        String otherBoot = self.bootId().startsWith("0") ? "1" + self.bootId().substring(1)
                : "0" + self.bootId().substring(1);
        assertEquals(Liveness.UNKNOWN, processes().liveness(new ProcessIdentity(Validate.MAX_PID, 1,
                self.pidNamespace(), otherBoot)));
    }

    @Test
    void aPidNobodyHasIsDeadAndIdentifiesNothing() {
        ProcessIdentity self = self();
        // pid_max is at most 2^22 and pids stay below it: this pid never exists.
        assertEquals(Liveness.DEAD, processes().liveness(new ProcessIdentity(Validate.MAX_PID, 1,
                self.pidNamespace(), self.bootId())));
        assertEquals(Optional.empty(), processes().identify(Validate.MAX_PID));
    }
}
