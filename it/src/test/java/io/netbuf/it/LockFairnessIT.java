package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Xen's {@code claim_lock} (locking.sh) is not starved by netbuf: {@value #JVMS} JVMs x
 * {@value #THREADS} threads take and release netbuf's host lock back to back, as hard as they can,
 * while {@value #SCRIPTS} bash copies of locking.sh take the same lock {@value #SCRIPT_ROUNDS} times
 * each. Xen's waiter blocks in flock(1) and, after a release that removed the file, needs new
 * processes ({@code stat}, {@code flock}) before it can try again; netbuf's waiters retry within
 * milliseconds, so without the fairness of {@code FlockHostLock} the script waits until netbuf
 * happens to pause. Every script wait must stay under {@value #MAX_SCRIPT_WAIT_MS} ms, netbuf
 * must keep taking the lock meanwhile, and the two sides must never hold it at once (a marker
 * file created exclusively by each holder). Real flock(2), a temporary lock directory. The same
 * holds while {@code nobody} (uid 65534) keeps taking the lock file whenever it can open it
 * ({@code flock -x <file> sleep 0.3} in a loop): netbuf replaces the files Xen's scripts create 0644,
 * and neither side may be starved or overlap.
 */
class LockFairnessIT {
    private static final Path LOCKING_SH = Path.of("/etc/xen/scripts/locking.sh");
    private static final int JVMS = 4;
    private static final int THREADS = 8;
    private static final long HOLD_MICROS = 2_000;
    private static final int SCRIPTS = 2;
    private static final int SCRIPT_ROUNDS = 25;
    /** Far above a fair turn (a few netbuf holds and the other script's), far below starvation. */
    private static final long MAX_SCRIPT_WAIT_MS = 3_000;
    /** netbuf's own threads must not be starved by the scripts either. */
    private static final long MAX_NETBUF_WAIT_MS = 10_000;
    private static final Pattern RESULT = Pattern.compile(
            "RESULT acquisitions=(\\d+) overlaps=(\\d+) longestwaitmicros=(\\d+) totalwaitmicros=(\\d+)");
    private static final Pattern WAIT = Pattern.compile("wait (\\d+) (\\d+)");
    /**
     * One round as Xen's hotplug scripts take the lock: a new bash, {@code claim_lock}, work under
     * the lock (a process inheriting the lock's descriptor), {@code release_lock} (which only
     * removes the file: the flock goes with the process), more work, exit.
     */
    private static final String SCRIPT = """
            for ((i = 0; i < $3; i++)); do
                bash -c '
                    source "$1"
                    LOCK_BASEDIR="$2"
                    set -o noclobber
                    start=${EPOCHREALTIME/[.,]/}
                    claim_lock pickifb
                    end=${EPOCHREALTIME/[.,]/}
                    if ! { : > "$3"; } 2>/dev/null; then echo OVERLAP; fi
                    sleep 0.002
                    rm -f "$3"
                    release_lock pickifb
                    echo "wait $start $end"
                    sleep 0.005
                ' bash "$1" "$2" "$4"
            done
            """;

    /** Takes the lock file whenever it can open it, holds it 0.3 s; until {@code $2} exists. */
    private static final String NOBODY = """
            while [ ! -e "$2" ]; do
                flock -x "$1" sleep 0.3 2>/dev/null || sleep 0.02
            done
            """;

    @TempDir
    Path dir;
    private final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void requirements() {
        Requirements.require(Files.isReadable(LOCKING_SH), "Xen's locking.sh (Debian package xen-utils-common)");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/flock")), "flock(1) (Debian package util-linux)");
        Requirements.require(Files.isExecutable(Path.of("/bin/bash")), "bash");
    }

    @AfterEach
    void stop() {
        processes.forEach(Process::destroyForcibly);
    }

    @ParameterizedTest(name = "nobody also takes the lock file when it can: {0}")
    @ValueSource(booleans = {false, true})
    void xensClaimLockGetsItsTurnWhileNetbufThreadsHammerTheLock(boolean withNobody) throws Exception {
        Path locks = Files.createDirectories(dir.resolve("locks"));
        Path inside = dir.resolve("inside");
        Path stop = dir.resolve("stop");
        if (withNobody) {
            Requirements.root();
            Requirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv(1) (util-linux)");
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
            processes.add(new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    "/bin/bash", "-c", NOBODY, "bash", locks.resolve("pickifb").toString(), stop.toString())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start());
        }
        List<Process> children = new ArrayList<>();
        for (int j = 0; j < JVMS; j++) {
            Process child = ChildJvm.start(List.of("lock", locks.toString(), Integer.toString(THREADS),
                    Long.toString(HOLD_MICROS), inside.toString(), stop.toString()));
            processes.add(child);
            children.add(child);
        }
        List<BufferedReader> childOut = new ArrayList<>();
        for (Process child : children) {
            BufferedReader out = ChildJvm.stdout(child);
            assertEquals("STARTED", out.readLine(), "a lock child started its threads");
            childOut.add(out);
        }

        long start = System.nanoTime();
        List<Process> scripts = new ArrayList<>();
        for (int s = 0; s < SCRIPTS; s++) {
            Process script = new ProcessBuilder("/bin/bash", "-c", SCRIPT, "bash", LOCKING_SH.toString(),
                    locks.toString(), Integer.toString(SCRIPT_ROUNDS), inside.toString())
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            processes.add(script);
            scripts.add(script);
        }
        List<Long> waitsMicros = new ArrayList<>();
        int scriptOverlaps = 0;
        for (Process script : scripts) {
            try (BufferedReader out = ChildJvm.stdout(script)) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    Matcher m = WAIT.matcher(line);
                    if (m.matches()) {
                        waitsMicros.add(Long.parseLong(m.group(2)) - Long.parseLong(m.group(1)));
                    } else if (line.equals("OVERLAP")) {
                        scriptOverlaps++;
                    }
                }
            }
            assertTrue(script.waitFor(5, TimeUnit.MINUTES), "a locking.sh loop did not finish");
            assertEquals(0, script.exitValue(), "locking.sh loop exit status");
        }
        double scriptSeconds = (System.nanoTime() - start) / 1e9;
        Files.createFile(stop);

        long acquisitions = 0;
        long netbufOverlaps = 0;
        long netbufLongestMicros = 0;
        long netbufTotalMicros = 0;
        for (int j = 0; j < JVMS; j++) {
            Process child = children.get(j);
            String result = null;
            for (String line = childOut.get(j).readLine(); line != null; line = childOut.get(j).readLine()) {
                result = line;
            }
            assertTrue(child.waitFor(2, TimeUnit.MINUTES), "a lock child did not stop");
            assertEquals(0, child.exitValue(), "lock child exit status");
            Matcher m = RESULT.matcher(String.valueOf(result));
            assertTrue(m.matches(), "lock child reported: " + result);
            acquisitions += Long.parseLong(m.group(1));
            netbufOverlaps += Long.parseLong(m.group(2));
            netbufLongestMicros = Math.max(netbufLongestMicros, Long.parseLong(m.group(3)));
            netbufTotalMicros += Long.parseLong(m.group(4));
        }
        long scriptLongestMicros = waitsMicros.stream().mapToLong(Long::longValue).max().orElse(-1);
        double scriptMeanMicros = waitsMicros.stream().mapToLong(Long::longValue).average().orElse(-1);
        double netbufMeanMicros = netbufTotalMicros / (double) Math.max(1, acquisitions);
        System.out.printf((withNobody ? "with nobody: " : "") + "lock fairness: %d JVMs x %d threads (hold %d us): %d acquisitions, wait mean %.1f ms, "
                + "longest %.1f ms; %d locking.sh loops: %d rounds in %.1f s, wait mean %.1f ms, longest %.1f ms; "
                + "overlaps %d%n", JVMS, THREADS, HOLD_MICROS, acquisitions, netbufMeanMicros / 1e3,
                netbufLongestMicros / 1e3, SCRIPTS, waitsMicros.size(), scriptSeconds, scriptMeanMicros / 1e3,
                scriptLongestMicros / 1e3, netbufOverlaps + scriptOverlaps);

        assertEquals(SCRIPTS * SCRIPT_ROUNDS, waitsMicros.size(), "every claim_lock round completed");
        assertEquals(0, netbufOverlaps + scriptOverlaps, "holders overlapped: mutual exclusion broken");
        assertTrue(scriptLongestMicros < MAX_SCRIPT_WAIT_MS * 1000, "claim_lock waited "
                + scriptLongestMicros / 1000 + " ms at worst (bound " + MAX_SCRIPT_WAIT_MS + " ms): starved");
        assertTrue(netbufLongestMicros < MAX_NETBUF_WAIT_MS * 1000, "a netbuf thread waited "
                + netbufLongestMicros / 1000 + " ms at worst (bound " + MAX_NETBUF_WAIT_MS + " ms): starved");
        assertTrue(acquisitions >= SCRIPT_ROUNDS, "netbuf kept taking the lock meanwhile: " + acquisitions);
    }
}
