package io.netbuf.spi;

import java.util.Optional;

/**
 * Port: which process is which, and whether a process is still alive. netbuf records the process
 * that drives a buffer's plug beside its claim, so that {@code reap} can tell a buffer whose driver
 * died (the guest's network would stay cut off) from one that is in use.
 */
public interface Processes {
    /** What can be said about a recorded process. */
    enum Liveness {
        /** It runs (a zombie counts as dead). */
        ALIVE,
        /** It is gone: no such pid, or the pid now belongs to a process started at another time. */
        DEAD,
        /**
         * It cannot be told from here: another pid namespace, another boot, or {@code /proc} refused.
         * Never treated as dead.
         */
        UNKNOWN
    }

    /** A host that cannot see processes: no identity, and every process is {@link Liveness#UNKNOWN}. */
    Processes UNSEEN = new Processes() {
        @Override
        public Optional<ProcessIdentity> self() {
            return Optional.empty();
        }

        @Override
        public Optional<ProcessIdentity> identify(long pid) {
            return Optional.empty();
        }

        @Override
        public Liveness liveness(ProcessIdentity process) {
            return Liveness.UNKNOWN;
        }

        @Override
        public String toString() {
            return "Processes.UNSEEN";
        }
    };

    /** @return this process, or empty when the host cannot tell */
    Optional<ProcessIdentity> self();

    /**
     * @param pid a process id in this process's pid namespace
     * @return that process as it is now, or empty when there is no such (living) process or the host
     *     cannot tell
     */
    Optional<ProcessIdentity> identify(long pid);

    /**
     * @param process a recorded process
     * @return whether it still runs, as far as this host can tell
     */
    Liveness liveness(ProcessIdentity process);
}
