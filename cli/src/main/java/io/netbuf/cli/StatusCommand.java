package io.netbuf.cli;

import io.netbuf.NetworkBufferException;
import io.netbuf.spi.Host;
import io.netbuf.spi.Qdisc;
import java.io.PrintStream;
import java.time.Duration;
import java.time.LocalTime;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** {@code netbuf status}: the buffers on this host, from XenStore claims and the kernel. */
final class StatusCommand implements Command {
    /** ANSI: cursor home, clear the screen. */
    private static final String CLEAR_SCREEN = "\033[H\033[2J";
    /** How often {@code --watch} refreshes. */
    static final Duration REFRESH = Duration.ofSeconds(1);

    private static final Options OPTIONS = new Options()
            .flag("json", "print JSON for machines instead of a table (with --watch: one line per refresh)")
            .flag("watch", "refresh once a second until Ctrl-C (or --count)")
            .option("count", "N", "with --watch: stop after N refreshes");

    @Override
    public String name() {
        return "status";
    }

    @Override
    public String summary() {
        return "list the buffers on this host: vif, IFB, domain, backlog, drops (--json, --watch)";
    }

    @Override
    public String help() {
        return "Usage: " + Cli.PROGRAM + " status [--json]\n\n"
                + "Lists the buffers on this host: XenStore claims (/libxl/<domid>/remus/netbuf/<devid>/ifb),\n"
                + "IFBs with a plug qdisc, and vifs whose ingress redirects into an IFB. A complete buffer has\n"
                + "all three; anything else is listed with what is missing. OWNER is the process recorded as\n"
                + "driving the buffer (XENBUS_PATH/netbuf-owner) and whether it is alive, dead (then 'netbuf reap'\n"
                + "reports the buffer as orphaned) or unknown (another pid namespace or boot); - without a record.\n\n"
                + "--watch redraws the table once a second (with --json: one JSON object per line and refresh),\n"
                + "with what each plug released since the previous refresh. It only reads, so Ctrl-C leaves\n"
                + "nothing behind; a refresh that fails is shown and the next one tries again.\n\n"
                + "Options:\n" + OPTIONS.describe();
    }

    @Override
    public int run(List<String> args, Context context) {
        Options.Parsed parsed = OPTIONS.parse(args);
        boolean json = parsed.has("json");
        if (parsed.has("count") && !parsed.has("watch")) {
            throw new UsageException("--count needs --watch");
        }
        long count = parsed.number("count", Long.MAX_VALUE, 1, Long.MAX_VALUE);
        Host host = context.hosts().open(Duration.ofSeconds(10));
        try {
            if (parsed.has("watch")) {
                return watch(context.out(), host, json, count);
            }
            List<BufferInventory.Entry> entries = BufferInventory.scan(host);
            if (json) {
                printJson(context.out(), entries);
            } else {
                printTable(context.out(), entries, host.description());
            }
        } finally {
            Context.close(host);
        }
        return Cli.OK;
    }

    /**
     * Redraws the status every {@link #REFRESH} until {@code count} refreshes are done or the
     * thread is interrupted (Ctrl-C ends the process: nothing to undo, this only reads).
     */
    private static int watch(PrintStream out, Host host, boolean json, long count) {
        Map<String, Long> sentBefore = new HashMap<>();
        long next = System.nanoTime();
        for (long i = 0; i < count; i++) {
            String time = LocalTime.now().truncatedTo(ChronoUnit.SECONDS).toString();
            try {
                List<BufferInventory.Entry> entries = BufferInventory.scan(host);
                if (json) {
                    out.println("{\"time\": " + JsonWriter.string(time) + ", \"buffers\": ["
                            + entries.stream().map(StatusCommand::json).collect(Collectors.joining(", ")) + "]}");
                } else {
                    out.print(CLEAR_SCREEN);
                    out.println(Cli.PROGRAM + " status --watch   " + time + "   (Ctrl-C to stop)");
                    printTable(out, entries, host.description());
                    printReleased(out, entries, sentBefore);
                }
            } catch (NetworkBufferException e) {
                out.println(time + " refresh failed: " + Cli.oneLine(e));
            }
            out.flush();
            if (i + 1 == count) {
                break;
            }
            next += REFRESH.toNanos();
            try {
                TimeUnit.NANOSECONDS.sleep(Math.max(0, next - System.nanoTime()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return Cli.OK;
    }

    /** Prints what each plug sent since the previous refresh, and remembers the counters. */
    private static void printReleased(PrintStream out, List<BufferInventory.Entry> entries, Map<String, Long> before) {
        StringBuilder line = new StringBuilder();
        for (BufferInventory.Entry e : entries) {
            if (e.plug() == null) {
                continue;
            }
            Long previous = before.put(e.ifb(), e.plug().sentPackets());
            if (previous != null) {
                line.append(line.length() == 0 ? "released since the last refresh: " : ", ").append(e.ifb())
                        .append(' ').append(e.plug().sentPackets() - previous).append('p');
            }
        }
        if (line.length() > 0) {
            out.println(line);
        }
    }

    static void printTable(PrintStream out, List<BufferInventory.Entry> entries, String hostDescription) {
        if (entries.isEmpty()) {
            out.println("no buffers on this host (" + hostDescription + ")");
            return;
        }
        String format = "%-15s %-15s %6s %5s %-10s %14s %8s %-15s  %s%n";
        out.printf(format, "VIF", "IFB", "DOMAIN", "DEV", "HOTPLUG", "BACKLOG", "DROPS", "OWNER", "STATE");
        for (BufferInventory.Entry e : entries) {
            Qdisc plug = e.plug();
            out.printf(format, dash(e.vif()), e.ifb(), e.domid() < 0 ? "-" : Integer.toString(e.domid()),
                    e.devid() < 0 ? "-" : Integer.toString(e.devid()), dash(e.hotplugStatus()),
                    plug == null ? "-" : plug.backlogBytes() + "B/" + plug.backlogPackets() + "p",
                    plug == null ? "-" : Long.toString(plug.drops()), owner(e),
                    e.complete() ? "buffering" : "incomplete: " + String.join(", ", e.problems()));
        }
    }

    static void printJson(PrintStream out, List<BufferInventory.Entry> entries) {
        String items = entries.stream().map(StatusCommand::json).collect(Collectors.joining(",\n    "));
        out.println("{\"buffers\": [" + (items.isEmpty() ? "" : "\n    " + items + "\n") + "]}");
    }

    private static String json(BufferInventory.Entry e) {
        Qdisc plug = e.plug();
        return "{\"vif\": " + JsonWriter.string(e.vif()) + ", \"ifb\": " + JsonWriter.string(e.ifb())
                + ", \"domid\": " + (e.domid() < 0 ? "null" : e.domid())
                + ", \"devid\": " + (e.devid() < 0 ? "null" : e.devid())
                + ", \"xenbusPath\": " + JsonWriter.string(e.xenbusPath())
                + ", \"hotplugStatus\": " + JsonWriter.string(e.hotplugStatus())
                + ", \"backlogBytes\": " + (plug == null ? "null" : plug.backlogBytes())
                + ", \"backlogPackets\": " + (plug == null ? "null" : plug.backlogPackets())
                + ", \"drops\": " + (plug == null ? "null" : plug.drops())
                + ", \"sentPackets\": " + (plug == null ? "null" : plug.sentPackets())
                + ", \"owner\": " + (e.owner() == null ? "null" : "{\"pid\": " + e.owner().pid() + ", \"startTicks\": "
                        + e.owner().startTicks() + ", \"pidNamespace\": " + e.owner().pidNamespace() + ", \"bootId\": "
                        + JsonWriter.string(e.owner().bootId()) + ", \"liveness\": "
                        + JsonWriter.string(e.ownerLiveness().name()) + "}")
                + ", \"complete\": " + e.complete()
                + ", \"problems\": [" + e.problems().stream().map(JsonWriter::string).collect(Collectors.joining(", "))
                + "]}";
    }

    /** @return e.g. {@code 1234(alive)}, {@code 1234(dead)}, {@code 1234(unknown)}, or {@code -} without an owner record */
    private static String owner(BufferInventory.Entry e) {
        return e.owner() == null ? "-"
                : e.owner().pid() + "(" + e.ownerLiveness().name().toLowerCase(Locale.ROOT) + ")";
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
