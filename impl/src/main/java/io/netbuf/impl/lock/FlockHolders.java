package io.netbuf.impl.lock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The processes holding an flock(2) lock on one file, and their user ids, found through
 * {@code /proc}: a process holds it when one of its descriptors ({@code /proc/<pid>/fd/<n>}) is
 * the file and that descriptor's {@code /proc/<pid>/fdinfo/<n>} lists the lock (the kernel lists
 * there the locks of the descriptor's open file; a request still blocked is not listed). Every
 * process sharing the locking open file (a fork, a passed descriptor) is a holder. A walk costs a
 * stat of every descriptor on the host: a few milliseconds, so it is done only when an exposed lock
 * file stays held (see {@link FlockHostLock}). Other users' processes are visible to root only,
 * and only those of the reader's PID namespace.
 */
final class FlockHolders {
    /** Where the kernel shows the processes. */
    static final Path PROC = Path.of("/proc");

    private FlockHolders() {
    }

    /**
     * One holding process.
     *
     * @param pid its process id
     * @param uids its real, effective, saved and filesystem user ids (empty when unknown)
     */
    record Holder(long pid, List<Long> uids) {
        /**
         * @param trusted which user ids are trusted
         * @return whether any of its user ids is trusted (an unknown process counts as trusted)
         */
        boolean trusted(LongPredicate trusted) {
            return uids.isEmpty() || uids.stream().anyMatch(trusted::test);
        }
    }

    /**
     * The holders found.
     *
     * @param all every holding process seen
     */
    record Holders(List<Holder> all) {
        /** No holder seen. */
        static final Holders NONE = new Holders(List.of());

        /**
         * @param trusted which user ids are trusted
         * @return whether a holder runs with a trusted user id (it may hold the lock lawfully)
         */
        boolean anyTrusted(LongPredicate trusted) {
            return all.stream().anyMatch(h -> h.trusted(trusted));
        }

        /**
         * @param trusted which user ids are trusted
         * @return whether holders were seen and none of them runs with a trusted user id
         */
        boolean onlyUntrusted(LongPredicate trusted) {
            return !all.isEmpty() && !anyTrusted(trusted);
        }
    }

    /**
     * @param file the file
     * @return the processes holding an flock lock on it now
     * @throws IOException if {@code /proc} cannot be listed
     */
    static Holders of(ProcLocks.FileId file) throws IOException {
        return of(PROC, file);
    }

    /**
     * @param proc the procfs to read
     * @param file the file
     * @return the processes holding an flock lock on it, as far as {@code proc} shows them
     * @throws IOException if {@code proc} cannot be listed
     */
    static Holders of(Path proc, ProcLocks.FileId file) throws IOException {
        List<Holder> found = new ArrayList<>();
        try (DirectoryStream<Path> pids = Files.newDirectoryStream(proc,
                p -> isNumber(p.getFileName().toString()))) {
            for (Path process : pids) {
                if (holds(process, file)) {
                    found.add(new Holder(Long.parseLong(process.getFileName().toString()), uidsOf(process)));
                }
            }
        }
        return found.isEmpty() ? Holders.NONE : new Holders(List.copyOf(found));
    }

    /** Whether one of the process's descriptors is the file and holds a lock on it (false when it is gone or hidden). */
    private static boolean holds(Path process, ProcLocks.FileId file) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                if (isFile(fd, file) && listsLock(Files.readString(process.resolve("fdinfo").resolve(fd.getFileName()),
                        StandardCharsets.US_ASCII), file)) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process ended, or its descriptors are not ours to see
        }
        return false;
    }

    private static boolean isFile(Path fd, ProcLocks.FileId file) {
        try {
            return ProcLocks.Incarnation.of(fd).id().equals(file);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * @param fdinfo the text of a {@code /proc/<pid>/fdinfo/<n>}
     * @param file the file
     * @return whether it lists an flock lock on {@code file} (lines {@code lock:\t1: FLOCK ...})
     */
    static boolean listsLock(String fdinfo, ProcLocks.FileId file) {
        StringBuilder locks = new StringBuilder();
        for (String line : fdinfo.split("\n")) {
            if (line.startsWith("lock:")) {
                locks.append(line.substring("lock:".length())).append('\n');
            }
        }
        return locks.length() > 0 && ProcLocks.parse(locks.toString(), file).held();
    }

    /** @return the process's user ids, or empty when they cannot be read (it ended) */
    private static List<Long> uidsOf(Path process) {
        try {
            return uids(Files.readString(process.resolve("status"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    /**
     * @param status the text of a {@code /proc/<pid>/status}
     * @return the user ids of its {@code Uid:} line (real, effective, saved, filesystem), or empty
     */
    static List<Long> uids(String status) {
        for (String line : status.split("\n")) {
            if (line.startsWith("Uid:")) {
                List<Long> uids = new ArrayList<>();
                for (String field : line.substring("Uid:".length()).trim().split("\\s+")) {
                    if (isNumber(field)) {
                        uids.add(Long.parseLong(field));
                    }
                }
                return List.copyOf(uids);
            }
        }
        return List.of();
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty() || s.length() > 18) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}
