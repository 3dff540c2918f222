package io.netbuf.it;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assertions;

/** Reads a namespace's network state back from the kernel, for before/after comparisons. */
final class KernelState {
    private static final Pattern IFNAME = Pattern.compile("\"ifname\":\"([^\"]+)\"");
    private static final Pattern RX = Pattern.compile("\"rx\":\\{\"bytes\":(\\d+),\"packets\":(\\d+)");

    private KernelState() {
    }

    /**
     * @param ns the namespace
     * @return every link in detail ({@code ip -d -j link show}), then for each link its qdiscs and
     *     its ingress and egress filters ({@code tc -j})
     */
    static String dump(Netns ns) {
        String links = ns.ip("-d", "-j", "link", "show");
        StringBuilder out = new StringBuilder("links: ").append(links.strip()).append('\n');
        for (String name : names(links)) {
            out.append(name).append(" qdiscs: ").append(ns.tc("-j", "qdisc", "show", "dev", name).strip())
                    .append('\n');
            out.append(name).append(" ingress filters: ")
                    .append(ns.tc("-j", "filter", "show", "dev", name, "ingress").strip()).append('\n');
            out.append(name).append(" egress filters: ")
                    .append(ns.tc("-j", "filter", "show", "dev", name, "egress").strip()).append('\n');
        }
        out.append("mirred actions: ").append(ns.tc("-j", "actions", "list", "action", "mirred").strip());
        return out.toString();
    }

    /**
     * @param ns the namespace
     * @param dev a link
     * @return its receive counters: {bytes, packets}
     */
    static long[] rx(Netns ns, String dev) {
        String json = ns.ip("-s", "-j", "link", "show", "dev", dev);
        Matcher m = RX.matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("no rx counters in " + json);
        }
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /**
     * Asserts that the namespace is back to {@code before}. The kernel frees a deleted filter's
     * actions asynchronously (they stay listed for a moment), so the dump is retried for up to
     * 3 s before the comparison counts.
     *
     * @param ns the namespace
     * @param before a {@link #dump} taken earlier
     * @param message what is expected, for the failure
     */
    static void assertRestored(Netns ns, String before, String message) {
        long deadline = System.nanoTime() + 3_000_000_000L;
        String now = dump(ns);
        while (!now.equals(before) && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            now = dump(ns);
        }
        Assertions.assertEquals(before, now, message);
    }

    /**
     * Waits until a link's operational state is UP (a veth has carrier once both ends are up,
     * a moment later), so that before/after dumps do not race with it.
     *
     * @param ns the namespace
     * @param dev the link
     */
    static void awaitOperUp(Netns ns, String dev) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!ns.ip("-j", "link", "show", "dev", dev).contains("\"operstate\":\"UP\"")) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException(dev + " did not come up: " + ns.ip("link", "show", "dev", dev));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    private static List<String> names(String linksJson) {
        List<String> names = new ArrayList<>();
        Matcher m = IFNAME.matcher(linksJson);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** Ground truth, independent of netbuf: can {@code tc} add a plug qdisc in a scratch namespace? */
    static boolean kernelHasPlug() {
        try (Netns scratch = Netns.create("nbplug")) {
            try {
                scratch.tc("qdisc", "add", "dev", "lo", "root", "plug", "limit", "1000");
                return true;
            } catch (IllegalStateException e) {
                return false;
            }
        }
    }
}
