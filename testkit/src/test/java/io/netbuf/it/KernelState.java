package io.netbuf.it;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

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

    private static List<String> names(String linksJson) {
        List<String> names = new ArrayList<>();
        Matcher m = IFNAME.matcher(linksJson);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }
}
