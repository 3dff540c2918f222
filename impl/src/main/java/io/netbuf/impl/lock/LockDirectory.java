package io.netbuf.impl.lock;

import io.netbuf.OperationFailedException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;

/**
 * The directory of the host lock files, checked before every acquisition: only a directory that
 * nobody but a trusted user (root, or this process's own) can change is used. Whoever can write
 * to it could swap the lock file (for a link, or a file of its own) at any time, so an untrusted
 * layout is refused with an {@link OperationFailedException} rather than followed. The rule:
 * <ul>
 * <li>the directory itself (symbolic links resolved) is owned by a trusted user and is not
 *     writable by group or others;</li>
 * <li>every directory above it, on the path as given and on the resolved one, is owned by a
 *     trusted user and is not writable by group or others unless it is sticky (as {@code /tmp}:
 *     nobody else may then rename or remove a trusted user's entries);</li>
 * <li>every symbolic link on the way (as {@code /var/run}) is owned by a trusted user.</li>
 * </ul>
 * A missing directory is created (and its missing parents) with mode 0755, as Xen's
 * {@code claim_lock} does with {@code mkdir -p}.
 */
final class LockDirectory {
    /** The file type bits of {@code st_mode}. */
    static final int S_IFMT = 0170000;
    /** {@code st_mode} type: regular file. */
    static final int S_IFREG = 0100000;
    /** {@code st_mode} type: directory. */
    static final int S_IFDIR = 0040000;
    /** {@code st_mode} type: symbolic link. */
    static final int S_IFLNK = 0120000;
    private static final int S_ISVTX = 01000;
    private static final int GROUP_OR_OTHER_WRITE = 0022;

    private LockDirectory() {
    }

    /**
     * Creates the directory when missing, then checks it.
     *
     * @param dir the lock directory, absolute
     * @param trusted which user ids may own it and what leads to it
     * @throws OperationFailedException when it cannot be created or is not safe to use
     */
    static void prepare(Path dir, LongPredicate trusted) {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwxr-xr-x")));
            } catch (IOException e) {
                throw OperationFailedException.of("create lock directory " + dir, e.toString(), null, null, e);
            }
        }
        check(dir, trusted);
    }

    /**
     * @param dir the lock directory, absolute
     * @param trusted which user ids may own it and what leads to it
     * @throws OperationFailedException when it, or what leads to it, could be changed by an untrusted user
     */
    static void check(Path dir, LongPredicate trusted) {
        try {
            Path real = dir.toRealPath();
            for (Path step : steps(dir)) {
                checkStep(dir, step, false, trusted);
            }
            for (Path step : steps(real)) {
                checkStep(dir, step, step.equals(real), trusted);
            }
        } catch (IOException e) {
            throw OperationFailedException.of("check host lock directory " + dir, e.toString(), null, null, e);
        }
    }

    /** @return {@code /}, {@code /a}, {@code /a/b}, ... up to {@code path} itself */
    private static List<Path> steps(Path path) {
        List<Path> steps = new ArrayList<>();
        Path step = path.getRoot();
        steps.add(step);
        for (Path name : path) {
            step = step.resolve(name);
            steps.add(step);
        }
        return steps;
    }

    private static void checkStep(Path dir, Path step, boolean lockDir, LongPredicate trusted) throws IOException {
        Map<String, Object> stat = Files.readAttributes(step, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        int uid = (Integer) stat.get("uid");
        int mode = (Integer) stat.get("mode");
        String what = lockDir ? "it" : step.toString();
        if (!trusted.test(uid)) {
            throw refused(dir, what + " is owned by uid " + uid + ", not by root");
        }
        int type = mode & S_IFMT;
        if (type == S_IFLNK) {
            return;
        }
        if (type != S_IFDIR) {
            throw refused(dir, what + " is not a directory");
        }
        boolean writable = (mode & GROUP_OR_OTHER_WRITE) != 0;
        if (writable && (lockDir || (mode & S_ISVTX) == 0)) {
            throw refused(dir, what + " is writable by group or others (mode " + String.format("%04o", mode & 07777)
                    + ")");
        }
    }

    private static OperationFailedException refused(Path dir, String why) {
        return OperationFailedException.of("check host lock directory " + dir, why
                + ": netbuf takes the host lock only in a directory that nobody but root can change "
                + "(chown root and chmod go-w it)", null, null, null);
    }
}
