package io.netbuf.testkit;

import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.Processes;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The processes of a {@link FakeHost}: "this process" (always alive) and processes a test starts,
 * kills, or replaces by another process with the same pid. Identities carry the fake's pid
 * namespace and boot id; one recorded in another namespace or boot is {@link Liveness#UNKNOWN}, as
 * on a real host. Thread-safe.
 */
public final class FakeProcesses implements Processes {
    /** The fake's pid namespace inode. */
    public static final long NAMESPACE = 4026531836L;
    /** The fake's boot id. */
    public static final String BOOT_ID = "0f5e7c2a-3b4d-4e6f-8a9b-0c1d2e3f4a5b";

    /** Live processes: pid to start time. */
    private final Map<Long, Long> running = new HashMap<>();
    private final ProcessIdentity self;
    private long nextPid = 2000;
    private long clock = 100;

    FakeProcesses() {
        self = start();
    }

    @Override
    public synchronized Optional<ProcessIdentity> self() {
        return Optional.of(self);
    }

    @Override
    public synchronized Optional<ProcessIdentity> identify(long pid) {
        Long start = running.get(pid);
        return start == null ? Optional.empty() : Optional.of(new ProcessIdentity(pid, start, NAMESPACE, BOOT_ID));
    }

    @Override
    public synchronized Liveness liveness(ProcessIdentity process) {
        if (process.pidNamespace() != NAMESPACE || !process.bootId().equals(BOOT_ID)) {
            return Liveness.UNKNOWN;
        }
        Long start = running.get(process.pid());
        return start != null && start == process.startTicks() ? Liveness.ALIVE : Liveness.DEAD;
    }

    /** @return a new running process */
    public synchronized ProcessIdentity start() {
        return startAs(nextPid++);
    }

    /**
     * Ends a process (as SIGKILL would). "This process" cannot be killed.
     *
     * @param process a process this fake started
     */
    public synchronized void kill(ProcessIdentity process) {
        if (process.equals(self)) {
            throw new IllegalArgumentException("the fake's own process cannot be killed");
        }
        running.remove(process.pid(), process.startTicks());
    }

    /**
     * Ends a process and starts another with the same pid (the kernel reused it), later.
     *
     * @param process a running process this fake started
     * @return the new process
     */
    public synchronized ProcessIdentity reusePid(ProcessIdentity process) {
        kill(process);
        return startAs(process.pid());
    }

    /**
     * @param process a process
     * @return the same pid and start time as recorded in another pid namespace (a reap there can
     *     tell nothing about it)
     */
    public static ProcessIdentity inOtherNamespace(ProcessIdentity process) {
        return new ProcessIdentity(process.pid(), process.startTicks(), NAMESPACE + 1, BOOT_ID);
    }

    /**
     * @param process a process
     * @return the same pid and start time as recorded before a reboot
     */
    public static ProcessIdentity inOtherBoot(ProcessIdentity process) {
        return new ProcessIdentity(process.pid(), process.startTicks(), NAMESPACE, "1" + BOOT_ID.substring(1));
    }

    private ProcessIdentity startAs(long pid) {
        if (running.containsKey(pid)) {
            throw new IllegalStateException("pid " + pid + " is in use");
        }
        long start = clock++;
        running.put(pid, start);
        return new ProcessIdentity(pid, start, NAMESPACE, BOOT_ID);
    }
}
