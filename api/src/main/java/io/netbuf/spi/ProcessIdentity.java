package io.netbuf.spi;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One process, told apart from any later process that reuses its pid: the pid, its start time, the
 * pid namespace the pid is valid in and the boot it ran in. Stored by netbuf beside a claim as the
 * buffer's owner ({@link #encode()}, {@link #parse(String)}).
 *
 * @param pid the process id, as seen in {@code pidNamespace}
 * @param startTicks the start time in clock ticks since boot (field 22 of {@code /proc/PID/stat})
 * @param pidNamespace the inode of the pid namespace ({@code /proc/self/ns/pid})
 * @param bootId the kernel's boot id ({@code /proc/sys/kernel/random/boot_id})
 */
public record ProcessIdentity(long pid, long startTicks, long pidNamespace, String bootId) {
    private static final Pattern BOOT_ID = Pattern.compile("[0-9a-fA-F-]{1,64}");

    /**
     * Checks the fields.
     *
     * @param pid the process id, positive
     * @param startTicks the start time in clock ticks since boot, not negative
     * @param pidNamespace the pid namespace's inode, positive
     * @param bootId the boot id (hexadecimal digits and dashes)
     */
    public ProcessIdentity {
        if (pid <= 0 || startTicks < 0 || pidNamespace <= 0) {
            throw new IllegalArgumentException("not a process identity: pid " + pid + ", start " + startTicks
                    + ", pid namespace " + pidNamespace);
        }
        Objects.requireNonNull(bootId, "bootId");
        if (!BOOT_ID.matcher(bootId).matches()) {
            throw new IllegalArgumentException("not a boot id: \"" + bootId + "\"");
        }
    }

    /** @return {@code pid=P start=T pidns=N boot=B}, what {@link #parse(String)} reads */
    public String encode() {
        return "pid=" + pid + " start=" + startTicks + " pidns=" + pidNamespace + " boot=" + bootId;
    }

    /**
     * Reads what {@link #encode()} wrote; other {@code key=value} words are ignored.
     *
     * @param text the stored text
     * @return the identity, or empty when the text does not hold a whole, valid one
     */
    public static Optional<ProcessIdentity> parse(String text) {
        Map<String, String> words = new HashMap<>();
        for (String word : text.trim().split("\\s+")) {
            int eq = word.indexOf('=');
            if (eq > 0) {
                words.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        try {
            return Optional.of(new ProcessIdentity(Long.parseLong(words.getOrDefault("pid", "")),
                    Long.parseLong(words.getOrDefault("start", "")), Long.parseLong(words.getOrDefault("pidns", "")),
                    words.getOrDefault("boot", "")));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
