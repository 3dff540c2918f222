package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.LockTimeoutException;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.spi.HostLock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
 * Debian's xen-utils-common, sourced in bash) exclude each other, in both directions. The lock
 * directory is a temporary one: locking.sh reads it from {@code LOCK_BASEDIR}.
 */
class XenLockingIT {
    private static final Path LOCKING_SH = Path.of("/etc/xen/scripts/locking.sh");

    @TempDir
    Path dir;
    private Script script;

    @BeforeEach
    void requirements() {
        Requirements.require(Files.isReadable(LOCKING_SH), "Xen's locking.sh (Debian package xen-utils-common)");
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/flock")), "flock(1) (Debian package util-linux)");
        Requirements.require(Files.isExecutable(Path.of("/bin/bash")), "bash");
    }

    @AfterEach
    void stopScript() {
        if (script != null) {
            script.process.destroyForcibly();
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
