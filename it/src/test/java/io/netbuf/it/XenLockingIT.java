package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.LockTimeoutException;
import io.netbuf.OperationFailedException;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.spi.HostLock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * netbuf's host lock and Xen's own {@code claim_lock} / {@code release_lock} (locking.sh from
 * Debian's xen-utils-common, sourced in bash) exclude each other, in both directions; and an
 * unprivileged user ({@code nobody}, uid 65534, running {@code flock -x <lock file> sleep}) can
 * block neither. The lock directory is a temporary one (mode 0755, so that {@code nobody} can reach
 * the file when its mode lets it): locking.sh reads it from {@code LOCK_BASEDIR}.
 */
class XenLockingIT {
    private static final Path LOCKING_SH = Path.of("/etc/xen/scripts/locking.sh");
    private static final Duration NETBUF_WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;
    private Script script;
    private final List<Process> others = new ArrayList<>();

    @BeforeEach
    void requirements() throws IOException {
        Requirements.require(Files.isReadable(LOCKING_SH), "Xen's locking.sh (Debian package xen-utils-common)");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/flock")), "flock(1) (Debian package util-linux)");
        Requirements.require(Files.isExecutable(Path.of("/bin/bash")), "bash");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stopScript() {
        if (script != null) {
            script.process.destroyForcibly();
        }
        others.forEach(XenLockingIT::stop);
    }

    private static void stop(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            assertTrue(process.waitFor(10, TimeUnit.SECONDS), "process " + process.pid() + " did not stop");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void whileXenHoldsTheLockNetbufWaitsAndGetsItWhenXenReleases() throws Exception {
        script = Script.start(dir, "claim_lock pickifb; echo locked; read -r _; release_lock pickifb; echo released");
        assertEquals("locked", script.line());
        FlockHostLock lock = new FlockHostLock(dir);
        assertThrows(LockTimeoutException.class, () -> lock.acquire(HostLock.PICK_IFB, Duration.ofMillis(300)));

        CompletableFuture<HostLock.Held> waiter = CompletableFuture.supplyAsync(
                () -> lock.acquire(HostLock.PICK_IFB, Duration.ofSeconds(20)));
        Thread.sleep(300);
        assertFalse(waiter.isDone(), "netbuf must not get the lock while claim_lock holds it");
        script.say("go");
        assertEquals("released", script.line());
        try (HostLock.Held held = waiter.get(10, TimeUnit.SECONDS)) {
            // release_lock removed the file netbuf was waiting on: netbuf must hold the new one at the path
            assertTrue(Files.exists(dir.resolve("pickifb")));
        }
        assertEquals(0, script.exit());
    }

    @Test
    void whileNetbufHoldsTheLockXenWaitsAndGetsItWhenNetbufReleases() throws Exception {
        FlockHostLock lock = new FlockHostLock(dir);
        HostLock.Held held = lock.acquire(HostLock.PICK_IFB, Duration.ofSeconds(5));
        try {
            script = Script.start(dir, "echo started; claim_lock pickifb; echo locked; release_lock pickifb");
            assertEquals("started", script.line());
            assertNull(script.lineWithin(Duration.ofMillis(700)), "claim_lock must wait while netbuf holds the lock");
            assertTrue(script.process.isAlive());
        } finally {
            held.close();
        }
        assertEquals("locked", script.line());
        assertEquals(0, script.exit());
        assertFalse(Files.exists(dir.resolve("pickifb")), "release_lock removes the file");
        lock.acquire(HostLock.PICK_IFB, Duration.ZERO).close();
    }

    @Test
    void anUnprivilegedHolderOfAnExposedLockFileBlocksNeitherNetbufNorXen() throws Exception {
        Path file = dir.resolve(HostLock.PICK_IFB);
        // as Xen's claim_lock leaves it when its script is killed before release_lock (or an older netbuf)
        exposedFile(file);
        Process nobody = nobodyHolds(file);
        FlockHostLock lock = new FlockHostLock(dir);
        long start = System.nanoTime();
        HostLock.Held held = lock.acquire(HostLock.PICK_IFB, NETBUF_WAIT);
        try {
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "netbuf was kept waiting");
            assertRootOnly(file);
            script = Script.start(dir, "echo started; claim_lock pickifb; echo locked; release_lock pickifb");
            assertEquals("started", script.line());
            assertNull(script.lineWithin(Duration.ofMillis(700)), "claim_lock must wait while netbuf holds the lock");
        } finally {
            held.close();
        }
        assertEquals("locked", script.line(), "claim_lock takes the new file; nobody's old one blocks nobody");
        assertEquals(0, script.exit());
        assertTrue(nobody.isAlive(), "nobody still holds its (stale) file");
        lock.acquire(HostLock.PICK_IFB, Duration.ZERO).close();
    }

    @Test
    void onceNetbufTookTheLockNobodyCannotOpenItsFileAndXenTakesItAtOnce() throws Exception {
        Path file = dir.resolve(HostLock.PICK_IFB);
        // a Xen script killed while holding the lock leaves claim_lock's file, mode 0644
        script = Script.start(dir, "claim_lock pickifb; echo locked; read -r _");
        assertEquals("locked", script.line());
        script.process.destroyForcibly();
        assertTrue(script.process.waitFor(10, TimeUnit.SECONDS));
        assertEquals(0644, mode(file), "claim_lock's file");

        new FlockHostLock(dir).acquire(HostLock.PICK_IFB, NETBUF_WAIT).close();
        assertRootOnly(file);
        Process nobody = asNobody("flock", "-x", file.toString(), "sleep", "60");
        assertTrue(nobody.waitFor(10, TimeUnit.SECONDS), "flock as nobody must fail, not hold the lock");
        String error = new String(nobody.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(nobody.exitValue() != 0 && error.contains("Permission denied"), nobody.exitValue() + ": " + error);

        script = Script.start(dir, "claim_lock pickifb; echo locked; release_lock pickifb");
        assertEquals("locked", script.line());
        assertEquals(0, script.exit());
    }

    @Test
    void aScriptQueuedOnTheReplacedFileTakesTheNewOneOnlyAfterNetbuf() throws Exception {
        Path file = dir.resolve(HostLock.PICK_IFB);
        exposedFile(file);
        Process nobody = nobodyHolds(file);
        script = Script.start(dir, "echo started; claim_lock pickifb; echo locked; read -r _; release_lock pickifb; "
                + "echo released");
        assertEquals("started", script.line());
        assertNull(script.lineWithin(Duration.ofMillis(300)), "claim_lock is queued on the exposed file");

        FlockHostLock lock = new FlockHostLock(dir);
        HostLock.Held held = lock.acquire(HostLock.PICK_IFB, NETBUF_WAIT);
        try {
            assertRootOnly(file);
            // nobody lets go (flock(1) and the sleep sharing its lock): the script's flock(1) gets the
            // old file now, and must find it replaced and queue on the new one
            stop(nobody);
            assertNull(script.lineWithin(Duration.ofMillis(700)), "claim_lock must not get the lock netbuf holds");
        } finally {
            held.close();
        }
        assertEquals("locked", script.line());
        assertThrows(LockTimeoutException.class, () -> lock.acquire(HostLock.PICK_IFB, Duration.ofMillis(300)),
                "the script holds the lock now");
        script.say("go");
        assertEquals("released", script.line());
        assertEquals(0, script.exit());
        lock.acquire(HostLock.PICK_IFB, Duration.ZERO).close();
    }

    @Test
    void anExposedFileXenHoldsIsWaitedForNotReplaced() throws Exception {
        script = Script.start(dir, "claim_lock pickifb; echo locked; read -r _; release_lock pickifb; echo released");
        assertEquals("locked", script.line());
        Path file = dir.resolve(HostLock.PICK_IFB);
        Object xens = Files.readAttributes(file, BasicFileAttributes.class).fileKey();
        FlockHostLock lock = new FlockHostLock(dir);
        // long enough for netbuf to look up who holds the file, several times
        assertThrows(LockTimeoutException.class, () -> lock.acquire(HostLock.PICK_IFB, Duration.ofMillis(1_200)));
        assertEquals(xens, Files.readAttributes(file, BasicFileAttributes.class).fileKey(), "Xen's file stays");
        script.say("go");
        assertEquals("released", script.line());
        assertEquals(0, script.exit());
    }

    @Test
    void aSymbolicLinkAtTheLockPathIsRefusedNotFollowed() throws Exception {
        Path target = Files.writeString(dir.resolve("target"), "keep");
        Files.createSymbolicLink(dir.resolve(HostLock.PICK_IFB), target);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> new FlockHostLock(dir).acquire(HostLock.PICK_IFB, Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("symbolic link"), e.getMessage());
        assertEquals("keep", Files.readString(target));
    }

    @Test
    void aLockDirectoryAnyoneCanWriteToIsRefused() throws Exception {
        Path locks = Files.createDirectory(dir.resolve("locks"));
        Files.setPosixFilePermissions(locks, PosixFilePermissions.fromString("rwxrwxrwx"));
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> new FlockHostLock(locks).acquire(HostLock.PICK_IFB, Duration.ofMillis(300)));
        assertTrue(e.getMessage().contains("writable by group or others"), e.getMessage());
        assertFalse(Files.exists(locks.resolve(HostLock.PICK_IFB)));
    }

    private static void exposedFile(Path file) throws IOException {
        Files.createFile(file);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    }

    /** @return {@code nobody} holding an flock on {@code file}, as {@code flock -x file sleep 60} */
    private Process nobodyHolds(Path file) throws IOException {
        Process nobody = asNobody("flock", "-x", file.toString(), "sh", "-c", "echo locked; exec sleep 60");
        String line = new BufferedReader(new InputStreamReader(nobody.getInputStream(), StandardCharsets.UTF_8))
                .readLine();
        assertEquals("locked", line, "nobody holds the exposed file");
        return nobody;
    }

    private Process asNobody(String... argv) throws IOException {
        Requirements.root();
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/setpriv")), "setpriv(1) (Debian package util-linux)");
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        command.addAll(List.of(argv));
        Process p = new ProcessBuilder(command).start();
        others.add(p);
        return p;
    }

    private static int mode(Path file) throws IOException {
        return (Integer) Files.getAttribute(file, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static void assertRootOnly(Path file) throws IOException {
        assertTrue(Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS));
        assertEquals(0600, mode(file), "mode of " + file);
        assertEquals(0, (Integer) Files.getAttribute(file, "unix:uid", LinkOption.NOFOLLOW_LINKS), "owner of " + file);
    }

    /** A bash that sources locking.sh, with its output read line by line. */
    private static final class Script {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final OutputStream stdin;

        private Script(Process process) {
            this.process = process;
            this.stdin = process.getOutputStream();
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("read error: " + e);
                }
            }, "locking.sh reader");
            reader.setDaemon(true);
            reader.start();
        }

        static Script start(Path dir, String body) throws IOException {
            ProcessBuilder pb = new ProcessBuilder("/bin/bash", "-c",
                    "source " + LOCKING_SH + " && LOCK_BASEDIR=\"$1\" && " + body, "bash", dir.toString());
            pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            return new Script(pb.start());
        }

        String line() throws InterruptedException {
            String line = lineWithin(Duration.ofSeconds(10));
            if (line == null) {
                throw new AssertionError("locking.sh script printed nothing within 10 s");
            }
            return line;
        }

        String lineWithin(Duration timeout) throws InterruptedException {
            return lines.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        void say(String line) throws IOException {
            stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        }

        int exit() throws InterruptedException {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new AssertionError("locking.sh script did not exit");
            }
            return process.exitValue();
        }
    }
}
