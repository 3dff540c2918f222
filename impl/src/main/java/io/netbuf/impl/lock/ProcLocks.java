package io.netbuf.impl.lock;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Map;

/**
 * The kernel's table of file locks, {@code /proc/locks}, read for one file: whether someone holds
 * an flock(2) lock on it and how many processes are blocked waiting for one. A blocked waiter is a
 * process inside a blocking {@code flock(LOCK_EX)}, such as Xen's {@code claim_lock} (flock(1));
 * netbuf never blocks there, it polls. Lines look like
 * <pre>
 * 2: FLOCK  ADVISORY  WRITE 9899 fe:00:2146672 0 EOF
 * 2: -&gt; FLOCK  ADVISORY  WRITE 9951 fe:00:2146672 0 EOF
 * </pre>
 * (a blocked request is marked {@code ->}; the file is {@code major:minor:inode}, the device in
 * hex). The table only shows locks of processes visible in the reader's PID namespace.
 */
final class ProcLocks {
    /** Where the kernel publishes the table. */
    static final Path TABLE = Path.of("/proc/locks");

    private ProcLocks() {
    }

    /** A file as {@code /proc/locks} names it: the device's major and minor number, and the inode. */
    record FileId(long major, long minor, long inode) {
    }

    /**
     * One file at one time: its {@link FileId} and its last status change. An inode number is
     * reused as soon as its file is gone, so the id alone cannot tell a removed lock file from a
     * new one; a new file also has a newer change time.
     *
     * @param id its id
     * @param changed its ctime
     */
    record Incarnation(FileId id, FileTime changed) {
        /**
         * @param path a file, or {@code /proc/self/fd/N} for an open one (even unlinked)
         * @param options how to handle a symbolic link ({@link LinkOption#NOFOLLOW_LINKS}: it is the file)
         * @return what it is now
         * @throws IOException if it cannot be stat'ed ({@link java.nio.file.NoSuchFileException}
         *     when it does not exist)
         */
        static Incarnation of(Path path, LinkOption... options) throws IOException {
            return of(Files.readAttributes(path, "unix:dev,ino,ctime", options));
        }

        /**
         * @param stat a file's attributes {@code unix:dev}, {@code unix:ino} and {@code unix:ctime}
         * @return which file it is
         */
        static Incarnation of(Map<String, Object> stat) {
            long dev = (Long) stat.get("dev");
            // glibc's gnu_dev_major / gnu_dev_minor
            long major = ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
            long minor = ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
            return new Incarnation(new FileId(major, minor, (Long) stat.get("ino")), (FileTime) stat.get("ctime"));
        }
    }

    /**
     * The flock(2) state of one file.
     *
     * @param held whether some open file holds an flock lock on it
     * @param blocked how many requests are blocked waiting for one
     */
    record State(boolean held, int blocked) {
    }

    /**
     * @param table the text of {@code /proc/locks}
     * @param file the file to look for
     * @return its flock state (lines of other kinds of lock, and unparsable lines, are ignored)
     */
    static State parse(String table, FileId file) {
        boolean held = false;
        int blocked = 0;
        for (String line : table.split("\n")) {
            String[] f = line.trim().split("\\s+");
            int i = 1;
            boolean waiting = false;
            while (i < f.length && f[i].equals("->")) {
                waiting = true;
                i++;
            }
            // FLOCK ADVISORY WRITE|READ pid major:minor:inode start end
            if (f.length < i + 5 || !f[i].equals("FLOCK") || !file.equals(fileOf(f[i + 4]))) {
                continue;
            }
            if (waiting) {
                blocked++;
            } else {
                held = true;
            }
        }
        return new State(held, blocked);
    }

    /**
     * @param file the file
     * @return its flock state now
     * @throws IOException if the table cannot be read (no procfs)
     */
    static State of(FileId file) throws IOException {
        return parse(Files.readString(TABLE, StandardCharsets.US_ASCII), file);
    }

    private static FileId fileOf(String field) {
        String[] p = field.split(":");
        if (p.length != 3) {
            return null;
        }
        try {
            return new FileId(Long.parseLong(p[0], 16), Long.parseLong(p[1], 16), Long.parseLong(p[2]));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
