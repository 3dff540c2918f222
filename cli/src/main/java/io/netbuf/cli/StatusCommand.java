package io.netbuf.cli;

import io.netbuf.spi.Host;
import io.netbuf.spi.Qdisc;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/** {@code netbuf status}: the buffers on this host, from XenStore claims and the kernel. */
final class StatusCommand implements Command {
    private static final Options OPTIONS = new Options()
            .flag("json", "print JSON for machines instead of a table");

    @Override
    public String name() {
        return "status";
    }

    @Override
    public String summary() {
        return "list the buffers on this host: vif, IFB, domain, backlog, drops (--json)";
    }

    @Override
    public String help() {
        return "Usage: " + Cli.PROGRAM + " status [--json]\n\n"
                + "Lists the buffers on this host: XenStore claims (/libxl/<domid>/remus/netbuf/<devid>/ifb),\n"
                + "IFBs with a plug qdisc, and vifs whose ingress redirects into an IFB. A complete buffer has\n"
                + "all three; anything else is listed with what is missing.\n\n"
                + "Options:\n" + OPTIONS.describe();
    }

    @Override
    public int run(List<String> args, Context context) {
        Options.Parsed parsed = OPTIONS.parse(args);
        if (parsed.help()) {
            context.out().print(help());
            return Cli.OK;
        }
        Host host = context.hosts().open(Duration.ofSeconds(10));
        List<BufferInventory.Entry> entries;
        try {
            entries = BufferInventory.scan(host);
        } finally {
            Context.close(host);
        }
        if (parsed.has("json")) {
            printJson(context.out(), entries);
        } else {
            printTable(context.out(), entries, host.description());
        }
        return Cli.OK;
    }

    static void printTable(PrintStream out, List<BufferInventory.Entry> entries, String hostDescription) {
        if (entries.isEmpty()) {
            out.println("no buffers on this host (" + hostDescription + ")");
            return;
        }
        String format = "%-15s %-15s %6s %5s %-10s %14s %8s  %s%n";
        out.printf(format, "VIF", "IFB", "DOMAIN", "DEV", "HOTPLUG", "BACKLOG", "DROPS", "STATE");
        for (BufferInventory.Entry e : entries) {
            Qdisc plug = e.plug();
            out.printf(format, dash(e.vif()), e.ifb(), e.domid() < 0 ? "-" : Integer.toString(e.domid()),
                    e.devid() < 0 ? "-" : Integer.toString(e.devid()), dash(e.hotplugStatus()),
                    plug == null ? "-" : plug.backlogBytes() + "B/" + plug.backlogPackets() + "p",
                    plug == null ? "-" : Long.toString(plug.drops()),
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
                + ", \"complete\": " + e.complete()
                + ", \"problems\": [" + e.problems().stream().map(JsonWriter::string).collect(Collectors.joining(", "))
                + "]}";
    }

    private static String dash(String s) {
        return s == null ? "-" : s;
    }
}
