package io.netbuf.it;

import io.netbuf.XenstoreException;
import io.netbuf.spi.XenstoreOps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Detects an IFB serving two vifs at once among processes that share a directory: whoever gets an
 * IFB (a netbuf attach, a run of Xen's script) reports it here before using it and again before
 * giving it up. Three independent witnesses: a marker file per IFB created exclusively (a second
 * owner finds it there), exactly one xenbus claim ({@code /libxl/<domid>/remus/netbuf/<devid>/ifb},
 * any domain and vif) naming the IFB in XenStore, and a shared append log whose per-IFB history
 * must alternate acquire/release of the same vif ({@link #logConflicts}).
 * Thread-safe and multi-process safe (O_CREAT|O_EXCL markers, O_APPEND log lines).
 */
final class IfbOwnership {
    private final Path owners;
    private final Path log;
    private final XenstoreOps xenstore;

    /**
     * @param shared the directory every participant shares ({@link #prepare}d once)
     * @param xenstore where the claims are read
     */
    IfbOwnership(Path shared, XenstoreOps xenstore) {
        this.owners = shared.resolve("owners");
        this.log = shared.resolve("log");
        this.xenstore = xenstore;
    }

    /**
     * @param shared the directory to prepare for participants
     * @throws IOException if it cannot be prepared
     */
    static void prepare(Path shared) throws IOException {
        Files.createDirectories(shared.resolve("owners"));
    }

    /**
     * Records that {@code vif} now uses {@code ifb} and checks that no one else does.
     *
     * @param ifb the IFB it got
     * @param vif the vif it serves
     * @return the conflicts seen (0 when the IFB is exclusively its), each also printed
     */
    int acquired(String ifb, String vif) {
        int conflicts = 0;
        Path marker = owners.resolve(ifb);
        try {
            try {
                Files.createFile(marker);
            } catch (FileAlreadyExistsException e) {
                conflicts++;
                System.err.println("CONFLICT " + ifb + " taken by " + vif + " while marked by "
                        + Files.readString(marker));
            }
            Files.writeString(marker, vif);
            append("A " + ifb + " " + vif);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        long claimants = 0;
        for (String domid : xenstore.list("/libxl")) {
            String netbufs = "/libxl/" + domid + "/remus/netbuf";
            for (String devid : children(netbufs)) {
                if (xenstore.read(netbufs + "/" + devid + "/ifb").filter(ifb::equals).isPresent()) {
                    claimants++;
                }
            }
        }
        if (claimants != 1) {
            conflicts++;
            System.err.println("CONFLICT " + ifb + " (" + vif + ") claimed " + claimants + " times in XenStore");
        }
        return conflicts;
    }

    /** @return the children of {@code path}, none when it does not exist (a script's teardown removes it) */
    private List<String> children(String path) {
        try {
            return xenstore.list(path);
        } catch (XenstoreException e) {
            if (e.isNotFound()) {
                return List.of();
            }
            throw e;
        }
    }

    /**
     * Records that {@code vif} is about to give {@code ifb} up (before the teardown frees it).
     *
     * @param ifb the IFB
     * @param vif the vif it served
     */
    void releasing(String ifb, String vif) {
        try {
            append("C " + ifb + " " + vif);
            Files.delete(owners.resolve(ifb));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * @param vifs which vifs count
     * @return how many rounds of those vifs have ended so far (their releases in the shared log)
     * @throws IOException if the log cannot be read
     */
    long releases(Predicate<String> vifs) throws IOException {
        long count = 0;
        for (String line : Files.exists(log) ? Files.readAllLines(log) : List.<String>of()) {
            String[] f = line.split(" ");
            if (f[0].equals("C") && vifs.test(f[2])) {
                count++;
            }
        }
        return count;
    }

    /**
     * @return how often the shared log shows an IFB acquired while another vif had it, released by
     *     a vif that did not have it, or still held at the end (the log is in append order)
     * @throws IOException if the log cannot be read
     */
    int logConflicts() throws IOException {
        Map<String, String> holder = new HashMap<>();
        int conflicts = 0;
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f[0].equals("A")) {
                if (holder.putIfAbsent(f[1], f[2]) != null) {
                    conflicts++;
                }
            } else if (!f[2].equals(holder.remove(f[1]))) {
                conflicts++;
            }
        }
        return conflicts + holder.size();
    }

    /** Appends one line; O_APPEND writes this small are atomic among the processes sharing the file. */
    private void append(String line) throws IOException {
        Files.write(log, (line + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }
}
