package io.netbuf.it;

import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;

/**
 * Compares a namespace with an earlier {@link KernelState#dump}, ignoring only the kernel's default
 * root qdisc (handle {@code 0:}) of each device: the kernel shows {@code noop} on a down device
 * whose explicit root qdisc was deleted, and {@code pfifo_fast} once it was up again. Which one a
 * device shows depends on the order of up/down and qdisc deletion, not on anything left behind.
 */
final class CleanState {
    private static final Pattern LINK_QDISC = Pattern.compile("\"qdisc\":\"(noop|pfifo_fast|noqueue)\"");
    private static final Pattern DEFAULT_ONLY = Pattern.compile(
            "^(\\S+) qdiscs: \\[\\{\"kind\":\"(noop|pfifo_fast)\",\"handle\":\"0:\".*$", Pattern.MULTILINE);

    /** A device that was never up lists no qdisc at all (its noop is implicit). */
    private static final Pattern NONE = Pattern.compile("^(\\S+) qdiscs: \\[\\]$", Pattern.MULTILINE);

    private CleanState() {
    }

    /**
     * @param dump a {@link KernelState#dump}
     * @return the dump with default root qdiscs replaced by {@code default}
     */
    static String normalized(String dump) {
        String out = LINK_QDISC.matcher(dump).replaceAll("\"qdisc\":\"default\"");
        out = DEFAULT_ONLY.matcher(out).replaceAll("$1 qdiscs: default");
        return NONE.matcher(out).replaceAll("$1 qdiscs: default");
    }

    /**
     * Asserts the namespace equals {@code before} up to default qdiscs, retrying for 3 s while the
     * kernel frees deleted actions.
     *
     * @param ns the namespace
     * @param before an earlier dump
     * @param message what is expected
     */
    static void assertClean(Netns ns, String before, String message) {
        String expected = normalized(before);
        long deadline = System.nanoTime() + 3_000_000_000L;
        String now = normalized(KernelState.dump(ns));
        while (!now.equals(expected) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = normalized(KernelState.dump(ns));
        }
        Assertions.assertEquals(expected, now, message);
    }
}
