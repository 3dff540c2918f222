package io.netbuf.impl.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.netbuf.impl.libc.Libc;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcLocksTest {
    private static final int LOCK_UN = 8;
    private static final ProcLocks.FileId FILE = new ProcLocks.FileId(0xfe, 0, 2146672);

    @TempDir
    Path tmp;

    @Test
    void countsTheHolderAndTheBlockedRequestsOfOneFileOnly() {
        String table = """
                1: FLOCK  ADVISORY  WRITE 9909 fe:00:2154502 0 EOF
                2: FLOCK  ADVISORY  WRITE 9899 fe:00:2146672 0 EOF
                2: -> FLOCK  ADVISORY  WRITE 9951 fe:00:2146672 0 EOF
                2:  -> -> FLOCK  ADVISORY  WRITE 9952 fe:00:2146672 0 EOF
                3: POSIX  ADVISORY  WRITE 9483 fe:00:2146672 0 EOF
                3: -> POSIX  ADVISORY  WRITE 9484 fe:00:2146672 0 EOF
                4: FLOCK  ADVISORY  WRITE 9000 fe:01:2146672 0 EOF
                """;
        assertEquals(new ProcLocks.State(true, 2), ProcLocks.parse(table, FILE));
    }

    @Test
    void aFileNobodyLocksIsFreeAndUnparsableLinesAreIgnored() {
        String table = """
                1: FLOCK  ADVISORY  WRITE 9909 fe:00:2154502 0 EOF
                garbage
                5: -> FLOCK
                6: FLOCK  ADVISORY  WRITE 1 zz:00:2146672 0 EOF
                7: FLOCK  ADVISORY  WRITE 1 fe:00 0 EOF

                """;
        assertEquals(new ProcLocks.State(false, 0), ProcLocks.parse(table, FILE));
        assertEquals(new ProcLocks.State(false, 0), ProcLocks.parse("", FILE));
    }

    @Test
    void theKernelsTableShowsOurOwnFlockAndABlockedRequest() throws Exception {
        Path file = tmp.resolve("lock");
        int holder = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC, 0644);
        int waiter = Libc.open(file.toString(), Libc.O_RDWR | Libc.O_CLOEXEC, 0);
        ProcLocks.FileId id = ProcLocks.Incarnation.of(file).id();
        Thread blocked = new Thread(() -> Libc.flock(waiter, Libc.LOCK_EX));
        try {
            assertEquals(new ProcLocks.State(false, 0), ProcLocks.of(id));
            assertEquals(0, Libc.flock(holder, Libc.LOCK_EX));
            assertEquals(new ProcLocks.State(true, 0), ProcLocks.of(id));
            blocked.start();
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (ProcLocks.of(id).blocked() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertEquals(new ProcLocks.State(true, 1), ProcLocks.of(id));
            Libc.flock(holder, LOCK_UN);
            blocked.join(5_000);
            assertEquals(new ProcLocks.State(true, 0), ProcLocks.of(id), "the woken request holds it");
        } finally {
            Libc.close(holder);
            blocked.join(5_000);
            Libc.close(waiter);
        }
    }

    @Test
    void aNewFileIsANewIncarnationEvenWhenItGetsTheOldInodeNumber() throws Exception {
        Path file = Files.createFile(tmp.resolve("lock"));
        ProcLocks.Incarnation first = ProcLocks.Incarnation.of(file);
        assertEquals(first, ProcLocks.Incarnation.of(file), "the same file is the same incarnation");
        Files.delete(file);
        Thread.sleep(2);
        Files.createFile(file);
        assertNotEquals(first, ProcLocks.Incarnation.of(file));
    }
}
