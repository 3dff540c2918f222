package io.netbuf.impl.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.libc.Libc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlockHoldersTest {
    private static final ProcLocks.FileId FILE = new ProcLocks.FileId(0xfe, 0, 2146672);

    @TempDir
    Path tmp;

    @Test
    void findsThisProcessHoldingAnFlockWithItsUserIds() throws Exception {
        Path file = tmp.resolve("lock");
        int fd = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0600);
        try {
            ProcLocks.FileId id = ProcLocks.Incarnation.of(file).id();
            assertEquals(FlockHolders.Holders.NONE, FlockHolders.of(id), "opened, not locked");
            assertEquals(0, Libc.flock(fd, Libc.LOCK_EX));
            FlockHolders.Holders holders = FlockHolders.of(id);
            assertEquals(1, holders.all().size(), holders.toString());
            FlockHolders.Holder me = holders.all().get(0);
            assertEquals(ProcessHandle.current().pid(), me.pid());
            assertEquals(4, me.uids().size());
            assertTrue(me.uids().contains((long) Libc.geteuid()));
            assertTrue(holders.anyTrusted(FlockHostLock::trusted));
            assertFalse(holders.onlyUntrusted(FlockHostLock::trusted));
        } finally {
            Libc.close(fd);
        }
    }

    @Test
    void anotherProcessHoldingItIsFoundAndOneBlockedOnItIsNot() throws Exception {
        Path file = tmp.resolve("lock");
        Process holder = new ProcessBuilder("flock", "-x", file.toString(), "sh", "-c", "echo locked; exec sleep 30")
                .start();
        Process blocked = null;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(),
                    StandardCharsets.US_ASCII));
            assertEquals("locked", out.readLine());
            ProcLocks.FileId id = ProcLocks.Incarnation.of(file).id();
            blocked = new ProcessBuilder("flock", "-x", file.toString(), "true").start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (ProcLocks.of(id).blocked() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(1, ProcLocks.of(id).blocked(), "the second flock(1) is queued");
            List<Long> pids = FlockHolders.of(id).all().stream().map(FlockHolders.Holder::pid).toList();
            // flock(1) and the shell it runs (exec'ed into sleep) share the locked open file
            assertTrue(pids.contains(holder.pid()), pids.toString());
            assertFalse(pids.contains(blocked.pid()), "a queued request holds nothing: " + pids);
            assertFalse(pids.contains(ProcessHandle.current().pid()), pids.toString());
        } finally {
            holder.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            if (blocked != null) {
                blocked.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void readsTheLockLinesOfFdinfoAndTheUserIdsOfStatus() {
        String fdinfo = """
                pos:	0
                flags:	02100002
                mnt_id:	27
                ino:	2146672
                lock:	1: FLOCK  ADVISORY  WRITE 11670 fe:00:2146672 0 EOF
                """;
        assertTrue(FlockHolders.listsLock(fdinfo, FILE));
        assertFalse(FlockHolders.listsLock(fdinfo, new ProcLocks.FileId(0xfe, 0, 1)));
        assertFalse(FlockHolders.listsLock("pos:\t0\nflags:\t02\n", FILE));
        assertFalse(FlockHolders.listsLock("lock:\t1: POSIX  ADVISORY  WRITE 1 fe:00:2146672 0 EOF\n", FILE));
        assertEquals(List.of(0L, 65534L, 0L, 0L),
                FlockHolders.uids("Name:\tx\nUid:\t0\t65534\t0\t0\nGid:\t0\t0\t0\t0\n"));
        assertEquals(List.of(), FlockHolders.uids("Name:\tx\n"));
    }

    @Test
    void onlyHoldersWithoutATrustedUserIdAreUntrusted() {
        FlockHolders.Holder nobody = new FlockHolders.Holder(10, List.of(65534L, 65534L, 65534L, 65534L));
        FlockHolders.Holder setuidRoot = new FlockHolders.Holder(11, List.of(65534L, 0L, 0L, 0L));
        FlockHolders.Holder vanished = new FlockHolders.Holder(12, List.of());
        assertTrue(new FlockHolders.Holders(List.of(nobody)).onlyUntrusted(uid -> uid == 0));
        assertFalse(new FlockHolders.Holders(List.of(nobody, setuidRoot)).onlyUntrusted(uid -> uid == 0));
        assertFalse(new FlockHolders.Holders(List.of(nobody, vanished)).onlyUntrusted(uid -> uid == 0),
                "a holder whose ids are unknown may be root");
        assertFalse(FlockHolders.Holders.NONE.onlyUntrusted(uid -> uid == 0), "no holder seen: nothing to replace");
        assertFalse(FlockHolders.Holders.NONE.anyTrusted(uid -> uid == 0));
    }
}
