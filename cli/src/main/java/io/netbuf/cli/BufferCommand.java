package io.netbuf.cli;

import io.netbuf.BufferStateMismatchException;
import io.netbuf.NetworkBufferException;
import io.netbuf.PlugFailedException;
import io.netbuf.Validate;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code netbuf buffer VIF checkpoint|commit|release|limit N}: drives an existing buffer by hand,
 * for debugging a controller or for shell-driven set-ups. The buffer is found from its claim
 * (and the kernel: the vif's redirect, the IFB's plug), checked and acted on under the host lock.
 */
final class BufferCommand implements Command {
    /** How long the host lock is waited for by default, in seconds. */
    static final long LOCK_TIMEOUT_SECONDS = 10;

    private static final Options OPTIONS = new Options()
            .flag("json", "print the result as JSON")
            .option("lock-timeout", "S", "wait at most S seconds for the host lock (default " + LOCK_TIMEOUT_SECONDS + ")")
            .positionals("VIF ACTION [N]", 3, "the buffer's vif, then checkpoint, commit, release or limit N");

    /** The verbs and the plug action each sends. */
    private enum Verb {
        CHECKPOINT("close the current epoch (plug BUFFER)"),
        COMMIT("release the closed epoch (plug RELEASE_ONE)"),
        RELEASE("release everything and let traffic through until the next checkpoint (RELEASE_INDEFINITE)"),
        LIMIT("set the plug's byte limit to N (plug LIMIT)");

        private final String help;

        Verb(String help) {
            this.help = help;
        }

        String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    @Override
    public String name() {
        return "buffer";
    }

    @Override
    public String summary() {
        return "drive an existing buffer by hand: checkpoint, commit, release, limit N (--json)";
    }

    @Override
    public String help() {
        StringBuilder verbs = new StringBuilder();
        for (Verb v : Verb.values()) {
            verbs.append(String.format("  %-12s %s%n", v == Verb.LIMIT ? "limit N" : v.word(), v.help));
        }
        return "Usage: " + Cli.PROGRAM + " buffer VIF checkpoint|commit|release|limit N [--json]\n\n"
                + "Sends one plug action to the buffer of VIF, as a controller would. The buffer is found from its\n"
                + "XenStore claim (/libxl/<domid>/remus/netbuf/<devid>/ifb) and the kernel, and must be whole: the\n"
                + "vif redirects into the IFB, the IFB is up and has its plug (a buffer attached without a xenbus\n"
                + "path has no claim and is found from the redirect). It is checked and acted on under the host lock\n"
                + "(see --lock-timeout). The plug's counters before and after are printed, and what left the plug\n"
                + "meanwhile (for a commit: what it released).\n\n"
                + "Each invocation is on its own: the kernel does not say whether a closed epoch awaits release, so\n"
                + "unlike a NetworkBuffer handle this command cannot refuse a second checkpoint before a commit (the\n"
                + "plug would strand the earlier epoch's packets). A controller driving the same buffer keeps its\n"
                + "own idea of the epoch.\n\n"
                + "Actions:\n" + verbs + "\nOptions:\n" + OPTIONS.describe()
                + "\nExit status: 0 done; 1 no such buffer, an incomplete one, lock timeout or the kernel refused;\n"
                + "2 wrong usage (a bad vif name or limit).\n";
    }

    @Override
    public int run(List<String> args, Context context) {
        Options.Parsed parsed = OPTIONS.parse(args);
        List<String> words = parsed.positionals();
        if (words.size() < 2) {
            throw new UsageException("needs a VIF and an action (checkpoint, commit, release, limit N)");
        }
        String vif = Validate.vif(words.get(0));
        Verb verb = verb(words.get(1));
        PlugAction action = action(verb, words.subList(2, words.size()));
        Duration lockTimeout = Duration.ofSeconds(parsed.number("lock-timeout", LOCK_TIMEOUT_SECONDS, 0, 3600));
        Host host = context.hosts().open(Duration.ofSeconds(10));
        try {
            Outcome outcome;
            try (HostLock.Held held = host.lock().acquire(HostLock.PICK_IFB, lockTimeout)) {
                outcome = act(host, vif, verb, action);
            }
            print(context.out(), outcome, parsed.has("json"));
        } finally {
            Context.close(host);
        }
        return Cli.OK;
    }

    private static Verb verb(String word) {
        for (Verb v : Verb.values()) {
            if (v.word().equals(word)) {
                return v;
            }
        }
        throw new UsageException("unknown action '" + word + "' (checkpoint, commit, release, limit N)");
    }

    private static PlugAction action(Verb verb, List<String> rest) {
        if (verb != Verb.LIMIT) {
            if (!rest.isEmpty()) {
                throw new UsageException(verb.word() + " takes no argument, not '" + rest.get(0) + "'");
            }
            return verb == Verb.CHECKPOINT ? PlugAction.BUFFER
                    : verb == Verb.COMMIT ? PlugAction.RELEASE_ONE : PlugAction.RELEASE_INDEFINITE;
        }
        if (rest.size() != 1) {
            throw new UsageException("limit needs the new limit in bytes: limit N");
        }
        long bytes;
        try {
            bytes = Long.parseLong(rest.get(0).replace("_", ""));
        } catch (NumberFormatException e) {
            throw new UsageException("limit N: N must be a whole number of bytes, not '" + rest.get(0) + "'");
        }
        return PlugAction.limit(Validate.limit(bytes));
    }

    /** What one action did. */
    private record Outcome(BufferInventory.Entry buffer, Verb verb, PlugAction action, Qdisc before, Qdisc after) {
    }

    /** Finds and checks the buffer, sends the action, reads the counters again (host lock held). */
    private static Outcome act(Host host, String vif, Verb verb, PlugAction action) {
        BufferInventory.Entry entry = find(host, vif);
        try {
            host.trafficControl().plug(List.of(entry.ifb()), action);
        } catch (NetworkBufferException e) {
            throw new PlugFailedException(action.label(), vif, entry.ifb(), e);
        }
        Qdisc after = plug(host, entry.ifb()).orElse(null);
        return new Outcome(entry, verb, action, entry.plug(), after);
    }

    /**
     * @return the whole buffer of {@code vif}
     * @throws BufferStateMismatchException when there is none, or only remains of one
     */
    static BufferInventory.Entry find(Host host, String vif) {
        List<BufferInventory.Entry> found = new ArrayList<>();
        for (BufferInventory.Entry e : BufferInventory.scan(host)) {
            if (vif.equals(e.vif())) {
                found.add(e);
            }
        }
        if (found.isEmpty()) {
            throw BufferStateMismatchException.of(vif, null, List.of("there is no buffer for " + vif
                    + " on this host: no claim names it and its ingress redirects into no IFB (see 'netbuf status')"));
        }
        List<String> problems = new ArrayList<>();
        for (BufferInventory.Entry e : found) {
            List<String> own = new ArrayList<>(e.problems());
            own.remove(BufferInventory.UNCLAIMED);
            if (own.isEmpty()) {
                return e;
            }
            own.forEach(p -> problems.add(e.ifb() + ": " + p));
        }
        throw BufferStateMismatchException.of(vif, found.get(0).ifb(), problems);
    }

    private static Optional<Qdisc> plug(Host host, String ifb) {
        for (Qdisc q : host.trafficControl().qdiscs(ifb)) {
            if (q.parent() == TrafficControl.ROOT && q.kind().equals("plug")) {
                return Optional.of(q);
            }
        }
        return Optional.empty();
    }

    private static void print(PrintStream out, Outcome o, boolean json) {
        Qdisc b = o.before();
        Qdisc a = o.after();
        long releasedPackets = a == null ? -1 : a.sentPackets() - b.sentPackets();
        long releasedBytes = a == null ? -1 : a.sentBytes() - b.sentBytes();
        if (json) {
            out.println("{\"vif\": " + JsonWriter.string(o.buffer().vif()) + ", \"ifb\": "
                    + JsonWriter.string(o.buffer().ifb()) + ", \"action\": " + JsonWriter.string(o.verb().word())
                    + (o.verb() == Verb.LIMIT ? ", \"limitBytes\": " + o.action().limit() : "")
                    + ", \"before\": " + counters(b) + ", \"after\": " + counters(a)
                    + ", \"releasedPackets\": " + (a == null ? "null" : releasedPackets)
                    + ", \"releasedBytes\": " + (a == null ? "null" : releasedBytes) + "}");
            return;
        }
        out.println(o.buffer().vif() + " (" + o.buffer().ifb() + "): " + o.verb().word()
                + (o.verb() == Verb.LIMIT ? " " + o.action().limit() + " bytes" : "") + " done; backlog "
                + backlog(a) + " (before: " + backlog(b) + ")"
                + (a == null ? "" : ", released " + releasedPackets + " packets / " + releasedBytes + " bytes")
                + (o.buffer().problems().isEmpty() ? "" : "; note: " + String.join(", ", o.buffer().problems())));
    }

    private static String backlog(Qdisc q) {
        return q == null ? "unknown" : q.backlogBytes() + "B/" + q.backlogPackets() + "p";
    }

    private static String counters(Qdisc q) {
        return q == null ? "null" : "{\"backlogBytes\": " + q.backlogBytes() + ", \"backlogPackets\": "
                + q.backlogPackets() + ", \"drops\": " + q.drops() + ", \"sentBytes\": " + q.sentBytes()
                + ", \"sentPackets\": " + q.sentPackets() + "}";
    }
}
