package io.netbuf.cli;

import io.netbuf.NetworkBuffer;
import io.netbuf.ReapFinding;
import io.netbuf.ReapReport;
import io.netbuf.spi.Host;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code netbuf reap}: finds what buffers left behind (claims of domains that are gone, claims
 * without a plug, redirects into IFBs without a plug, plugs nobody claims, buffers whose recorded
 * owner died), shows it, and with
 * {@code --apply} removes it. Live buffers are never touched.
 */
final class ReapCommand implements Command {
    private static final Options OPTIONS = new Options()
            .flag("apply", "remove what was found (re-checked under the host lock)")
            .flag("json", "print JSON for machines instead of lines")
            .flag("check", "exit with status 1 when anything was found (for monitoring and the systemd timer)");

    @Override
    public String name() {
        return "reap";
    }

    @Override
    public String summary() {
        return "find leftovers of buffers (stale claims, dangling redirects, orphan plugs, buffers whose owner died);"
                + " --apply removes them";
    }

    @Override
    public String help() {
        return "Usage: " + Cli.PROGRAM + " reap [--apply] [--json] [--check]\n\n"
                + "Finds what buffers left behind on this host and shows it; changes nothing without --apply:\n"
                + "  stale claim       /libxl/<domid>/remus/netbuf/<devid>/ifb of a domain that no longer exists\n"
                + "  unplugged claim   a live domain's claim on an IFB that is missing or has no plug\n"
                + "  unredirected claim a live domain's claim on a plugged IFB that no vif redirects into\n"
                + "  dangling redirect a vif's ingress redirects into an IFB without a plug\n"
                + "  orphan plug       a plug no claim names and no vif redirects to\n"
                + "  orphaned buffer   a whole buffer whose owner (XENBUS_PATH/netbuf-owner: the controller, or the\n"
                + "                    xl remus that ran remus-netbuf-setup) is dead: the guest's output is held for\n"
                + "                    good. --apply releases the plug first, then removes the redirect, the plug\n"
                + "                    (the IFB when netbuf created it), the claim and the owner record. An owner\n"
                + "                    that is alive or cannot be told (another pid namespace, another boot) is not\n"
                + "                    a finding, nor is a claim without an owner record (Xen's own script).\n"
                + "With --apply the host is scanned again under the host lock and only what both scans found\n"
                + "is removed. Live buffers are never touched. Exit status 0 also when something was found,\n"
                + "unless --check is given: then 1 when anything was found (removed or not).\n\n"
                + "Options:\n" + OPTIONS.describe();
    }

    @Override
    public int run(List<String> args, Context context) {
        Options.Parsed parsed = OPTIONS.parse(args);
        boolean json = parsed.has("json");
        Host host = context.hosts().open(Duration.ofSeconds(10));
        boolean found;
        try {
            ReapReport report = NetworkBuffer.reap(host);
            found = !report.isClean();
            List<ReapFinding> removed = parsed.has("apply") && !report.isClean() ? report.apply() : List.of();
            if (json) {
                printJson(context.out(), report.findings(), removed, parsed.has("apply"));
            } else {
                printLines(context.out(), report.findings(), removed, parsed.has("apply"));
            }
        } finally {
            Context.close(host);
        }
        return found && parsed.has("check") ? Cli.FAILURE : Cli.OK;
    }

    private static void printLines(PrintStream out, List<ReapFinding> found, List<ReapFinding> removed,
            boolean apply) {
        if (found.isEmpty()) {
            out.println("nothing left behind: no stale claim, dangling redirect, orphan plug or orphaned buffer");
            return;
        }
        for (ReapFinding f : found) {
            out.println((apply ? (removed.contains(f) ? "removed  " : "kept     ") : "found    ") + f.describe());
        }
        if (apply) {
            out.println(removed.size() + " of " + found.size() + " removed"
                    + (removed.size() < found.size() ? " (the rest changed since the first scan)" : ""));
        } else {
            out.println(found.size() + " found; run with --apply to remove "
                    + (found.size() == 1 ? "it" : "them"));
        }
    }

    private static void printJson(PrintStream out, List<ReapFinding> found, List<ReapFinding> removed,
            boolean apply) {
        String items = found.stream().map(f -> "{\"kind\": " + JsonWriter.string(f.kind().name())
                + ", \"xenbusPath\": " + JsonWriter.string(f.xenbusPath()) + ", \"vif\": " + JsonWriter.string(f.vif())
                + ", \"ifb\": " + JsonWriter.string(f.ifb()) + ", \"owner\": " + JsonWriter.string(f.owner())
                + ", \"removed\": " + removed.contains(f) + "}")
                .collect(Collectors.joining(",\n    "));
        out.println("{\"applied\": " + apply + ", \"findings\": [" + (items.isEmpty() ? "" : "\n    " + items + "\n")
                + "]}");
    }
}
