package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * netbuf and Xen's own {@code remus-netbuf-setup} at the same time on one host, in the kernel lab
 * with the real plug: {@value #JVMS} child JVMs x {@value #THREADS} threads attach, checkpoint,
 * commit and close their own vifs (one domain per JVM, one of its vifs per thread, as a Remus host
 * has them) through the native backend while {@value #SCRIPTS} copies of the reference script (run
 * from {@code ../shared/reference} as libxl runs it, with Debian's hotplug helpers) loop
 * {@code setup}/{@code teardown} on theirs for as long as netbuf runs. All share one
 * namespace and its pool of {@value #IFBS} IFBs, one testkit xenstored (which Debian's
 * {@code xenstore-*} reach through {@code XENSTORED_PATH}) and the real lock directory
 * {@code /var/run/xen-hotplug}: Xen's {@code claim_lock} (locking.sh) and netbuf's flock lock must
 * exclude each other, or two pickers choose the same IFB.
 *
 * <p>No IFB may ever serve two vifs at once: every netbuf round and every successful script setup
 * reports its IFB to {@link IfbOwnership} (marker file, exactly one claim in XenStore, shared log).
 * Every round must end clean (no redirect on the vif, no claim or hotplug record), a script setup
 * must have built the real plug on the IFB it claimed, and at the end the namespace, XenStore and
 * the lock are as before and reap finds nothing. A script setup that finds no free IFB fails as Xen
 * designed it ({@code hotplug-error}); libxl's teardown follows and the round is retried. Both
 * sides' waits for the lock are timed (netbuf's through its port, the script's by wrapping Xen's
 * {@code claim_lock}) and reported: the script must not be starved by netbuf's threads.
 *
 * <p>Rounds: {@code -Dnetbuf.lab.churnRounds} per netbuf thread (default 32: 1,024 in all, the
 * reliability issue's scale); each script loop runs until the netbuf children are done and must
 * complete at least {@code -Dnetbuf.lab.minScriptRounds} rounds (default {@value #MIN_SCRIPT_ROUNDS}).
 * The loops are paced by netbuf's progress: each starts a round once netbuf's workers have ended
 * another 1/(2 x minimum) of their rounds (so about twice the minimum each, spread over the whole
 * run, the two loops staggered). Back to back they would starve netbuf: under software emulation a
 * script setup holds the lock for seconds (its IFB check forks {@code xenstore-*} for every domain
 * and vif), the other loop is queued on it by then, and netbuf's lock lets a queued process go
 * first, so the lock would pass from script to script with one netbuf pick in between. A real host
 * runs the script when Remus starts or stops on a domain, not back to back. Without the reference
 * script only the netbuf part runs, and says so. {@code -Dnetbuf.lab.lockTrace=true} prints
 * {@code /proc/locks} with each lock's owner every 10 s (who holds the lock when a side waits).
 */
class ScriptConcurrencyLabIT {
    private static final int JVMS = 4;
    private static final int THREADS = 8;
    private static final int SCRIPTS = 2;
    /** Fewer than the vifs, so that the pool runs dry at times and pickers compete for the last IFBs. */
    private static final int IFBS = 12;
    private static final int MIN_SCRIPT_ROUNDS = 5;
    /** The script loops' domains, one vif each (the children's are {@link ChildMain#domid}: 10 to 13). */
    private static final int SCRIPT_DOMID = 60;
    /** How often one script round may find no free IFB before the round counts as failed. */
    private static final int SCRIPT_ATTEMPTS = 100;
    private static final String NO_FREE_IFB = "Unable to find a free ifb device";

    @TempDir
    Path shared;
    private Netns ns;
    private XenstoredServer xenstored;

    @BeforeEach
    void setUp() throws Exception {
        Lab.require();
        ns = Netns.create("nbxchurn");
        for (int i = 0; i < IFBS; i++) {
            ns.ip("link", "add", "ifb" + i, "type", "ifb");
        }
        xenstored = XenstoredServer.start();
        xenstored.store().write("/local/domain/0/name", "Domain-0");
        List<String> vifs = new ArrayList<>();
        for (int jvm = 0; jvm < JVMS; jvm++) {
            vifs.addAll(ChurnChildren.addDomain(ns, xenstored.store(), ChildMain.domid(jvm), THREADS));
        }
        for (int s = 0; s < SCRIPTS; s++) {
            vifs.addAll(ChurnChildren.addDomain(ns, xenstored.store(), SCRIPT_DOMID + s, 1));
        }
        for (String vif : vifs) {
            KernelState.awaitOperUp(ns, vif);
        }
        IfbOwnership.prepare(shared);
    }

    @AfterEach
    void tearDown() {
        if (xenstored != null) {
            xenstored.close();
        }
        if (ns != null) {
            ns.close();
        }
    }

    @Test
    void netbufAndXensScriptNeverShareAnIfbAndEveryRoundEndsClean() throws Exception {
        int churnRounds = Integer.getInteger("netbuf.lab.churnRounds", 32);
        int minScriptRounds = Integer.getInteger("netbuf.lab.minScriptRounds", MIN_SCRIPT_ROUNDS);
        Optional<Path> reference = ReferenceScript.locate();
        int scripts = reference.isPresent() ? SCRIPTS : 0;
        if (scripts == 0) {
            System.err.println("SKIPPED (loudly): Xen's script does not run beside netbuf in this test; only netbuf's "
                    + JVMS + " x " + THREADS + " workers do");
        }
        Path scriptLockTimes = shared.resolve("locking-times");
        ReferenceScript script = reference.map(r -> ReferenceScript.install(r, scriptLockTimes)).orElse(null);
        String clean = KernelState.dump(ns);
        Map<String, String> storeBefore = xenstored.store().snapshot();

        if (Boolean.getBoolean("netbuf.lab.lockTrace")) {
            Thread trace = new Thread(() -> {
                try {
                    while (true) {
                        Thread.sleep(10_000);
                        System.out.println("LOCKTRACE " + Instant.now() + "\n" + ReferenceScript.lockTable());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "lock-trace");
            trace.setDaemon(true);
            trace.start();
        }
        // Each loop runs about twice the minimum of rounds, spread over netbuf's run.
        long pace = Math.max(1, (long) JVMS * THREADS * churnRounds / (2L * Math.max(1, minScriptRounds)));
        long start = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, scripts));
        List<Future<ScriptTotals>> loops = new ArrayList<>();
        AtomicBoolean netbufDone = new AtomicBoolean();
        try (ChurnChildren children = ChurnChildren.start(JVMS, THREADS, churnRounds, SystemHost.Backend.NATIVE, true,
                ns, FlockHostLock.DEFAULT_DIR, xenstored.socketPath(), shared);
                SystemHost observer = ComposedHost.system(SystemHost.Backend.NATIVE, ns.name(),
                FlockHostLock.DEFAULT_DIR)) {
            IfbOwnership ownership = new IfbOwnership(shared, xenstored.store());
            Set<String> scriptVifs = new HashSet<>();
            for (int s = 0; s < scripts; s++) {
                scriptVifs.add(ChildMain.vif(SCRIPT_DOMID + s, 0));
            }
            for (int s = 0; s < scripts; s++) {
                ScriptLoop loop = new ScriptLoop(script, SCRIPT_DOMID + s, observer.trafficControl(), ownership);
                long offset = s * pace / scripts;
                loops.add(pool.submit(() -> loop.run(netbufDone, vif -> !scriptVifs.contains(vif), offset, pace)));
            }
            // Minutes under emulation: say how far it got every 30 s.
            long expected = (long) JVMS * THREADS * churnRounds;
            ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "lab-progress");
                t.setDaemon(true);
                return t;
            });
            progress.scheduleAtFixedRate(() -> {
                try {
                    System.out.printf("[progress] ScriptConcurrencyLabIT: %.0f s, netbuf rounds %d/%d, script rounds %d%n",
                            (System.nanoTime() - start) / 1e9, ownership.releases(vif -> !scriptVifs.contains(vif)),
                            expected, ownership.releases(scriptVifs::contains));
                } catch (IOException | RuntimeException e) {
                    System.out.println("[progress] ScriptConcurrencyLabIT: cannot read the shared log: " + e);
                }
            }, 30, 30, TimeUnit.SECONDS);
            ChurnChildren.Totals totals;
            try {
                totals = children.await(Duration.ofMinutes(20));
            } finally {
                netbufDone.set(true);
                progress.shutdownNow();
            }
            double netbufSeconds = (System.nanoTime() - start) / 1e9;
            List<ScriptTotals> perLoop = new ArrayList<>();
            ScriptTotals scriptTotals = new ScriptTotals(0, 0, 0, 0, 0, 0);
            for (Future<ScriptTotals> loop : loops) {
                perLoop.add(loop.get(5, TimeUnit.MINUTES));
                scriptTotals = scriptTotals.plus(perLoop.get(perLoop.size() - 1));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int logConflicts = ownership.logConflicts();
            LongSummaryStatistics scriptWaits = lockTimes(scriptLockTimes, "W").stream().mapToLong(Long::longValue)
                    .summaryStatistics();
            LongSummaryStatistics scriptHolds = lockTimes(scriptLockTimes, "H").stream().mapToLong(Long::longValue)
                    .summaryStatistics();
            long allRounds = totals.rounds() + scriptTotals.rounds();
            System.out.printf("concurrency with Xen's script (real plug, native backend, %d IFBs): netbuf %d JVMs x %d "
                    + "threads: %d rounds in %.1f s (%.2f rounds/s), conflicts %d, no-free-IFB retries %d, unclean %d, "
                    + "errors %d, longest lock wait %.1f ms; script %d loops (a round per %d netbuf rounds): %d "
                    + "rounds (%s) in %.1f s, conflicts %d, no-free-IFB retries %d, unclean %d, failed %d, claim_lock "
                    + "%d waits: mean %.1f ms, longest %.1f ms, lock held %d times: mean %.1f ms, longest %.1f ms; "
                    + "all: %d rounds in %.1f s, log conflicts %d%n", IFBS, JVMS, THREADS, totals.rounds(),
                    netbufSeconds, totals.rounds() / netbufSeconds, totals.conflicts(), totals.noFree(),
                    totals.unclean(), totals.errors(), totals.longestLockWaitMicros() / 1e3, scripts, pace,
                    scriptTotals.rounds(), perLoop.stream().map(l -> Long.toString(l.rounds())).toList(),
                    scriptTotals.seconds(), scriptTotals.conflicts(), scriptTotals.noFree(), scriptTotals.unclean(),
                    scriptTotals.failed(), scriptWaits.getCount(), scriptWaits.getAverage() / 1e3,
                    longestMillis(scriptWaits), scriptHolds.getCount(), scriptHolds.getAverage() / 1e3,
                    longestMillis(scriptHolds), allRounds, seconds, logConflicts);

            assertEquals((long) JVMS * THREADS * churnRounds, totals.rounds(), "every netbuf round completed");
            for (ScriptTotals loop : perLoop) {
                assertTrue(loop.rounds() >= minScriptRounds, "a script loop completed " + loop.rounds()
                        + " rounds beside netbuf, fewer than " + minScriptRounds);
            }
            assertEquals(0, totals.conflicts(), "conflicts seen by netbuf's workers");
            assertEquals(0, scriptTotals.conflicts(), "conflicts seen after the script's setups");
            assertEquals(0, logConflicts, "conflicts in the shared log");
            assertEquals(0, totals.unclean() + scriptTotals.unclean(), "rounds that did not end clean");
            assertEquals(0, totals.errors() + scriptTotals.failed(), "errors and failed script runs");
            CleanState.assertClean(ns, clean, "the namespace is as before");
            assertEquals(withoutScriptDomains(storeBefore, scripts), xenstored.store().snapshot(),
                    "xenstore is as before, but for the script's xenbus directories (its teardown's xenstore-rm -t "
                            + "removes the empty parents of what it removes)");
            try (XenstoreClient client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(5))) {
                assertTrue(NetworkBuffer.reap(ComposedHost.of(observer, client, false, ns.name())).isClean());
            }
            observer.lock().acquire(HostLock.PICK_IFB, Duration.ZERO).close();
        } finally {
            netbufDone.set(true);
            pool.shutdownNow();
        }
    }

    /** @return the longest of {@code micros}, in milliseconds (0 when there are none) */
    private static double longestMillis(LongSummaryStatistics micros) {
        return micros.getCount() == 0 ? 0 : micros.getMax() / 1e3;
    }

    /**
     * @return the durations (microseconds) of the {@code KIND START END} lines of the timed
     *     {@code locking.sh} ({@code W}: waits, {@code H}: holds)
     */
    private static List<Long> lockTimes(Path log, String kind) throws IOException {
        List<Long> times = new ArrayList<>();
        for (String line : Files.exists(log) ? Files.readAllLines(log) : List.<String>of()) {
            String[] f = line.trim().split(" ");
            if (f[0].equals(kind)) {
                times.add(Long.parseLong(f[2]) - Long.parseLong(f[1]));
            }
        }
        return times;
    }

    /**
     * @return {@code snapshot} without the {@code /libxl/<domid>} subtrees of the first {@code scripts}
     *     script domains
     */
    private static Map<String, String> withoutScriptDomains(Map<String, String> snapshot, int scripts) {
        Map<String, String> out = new TreeMap<>(snapshot);
        for (int s = 0; s < scripts; s++) {
            String dir = "/libxl/" + (SCRIPT_DOMID + s);
            out.keySet().removeIf(path -> path.equals(dir) || path.startsWith(dir + "/"));
        }
        return out;
    }

    /** What the script loops did, added up; {@code seconds} is the longest loop's time. */
    private record ScriptTotals(long rounds, long conflicts, long noFree, long unclean, long failed, double seconds) {
        ScriptTotals plus(ScriptTotals o) {
            return new ScriptTotals(rounds + o.rounds, conflicts + o.conflicts, noFree + o.noFree, unclean + o.unclean,
                    failed + o.failed, Math.max(seconds, o.seconds));
        }
    }

    /** One copy of Xen's script set up and torn down on its own vif, round after round, as libxl would. */
    private final class ScriptLoop {
        private final ReferenceScript script;
        private final int domid;
        private final String vif;
        private final String xenbus;
        private final TrafficControl tc;
        private final IfbOwnership ownership;
        private final FakeXenstore store;
        private long conflicts;
        private long noFree;
        private long unclean;
        private long failed;

        ScriptLoop(ReferenceScript script, int domid, TrafficControl tc, IfbOwnership ownership) {
            this.script = script;
            this.domid = domid;
            this.vif = ChildMain.vif(domid, 0);
            this.xenbus = ChildMain.xenbus(domid, 0);
            this.tc = tc;
            this.ownership = ownership;
            this.store = xenstored.store();
        }

        /**
         * Runs rounds until {@code stop} is set (the round running then is finished), round
         * {@code r} once netbuf's workers have ended {@code offset + r * pace} rounds.
         *
         * @param isNetbuf which vifs are netbuf's (whose rounds pace this loop)
         */
        ScriptTotals run(AtomicBoolean stop, Predicate<String> isNetbuf, long offset, long pace)
                throws IOException, InterruptedException {
            long start = System.nanoTime();
            int done = 0;
            for (int r = 0; awaitNetbuf(stop, isNetbuf, offset + r * pace); r++) {
                if (round(r)) {
                    done++;
                }
            }
            return new ScriptTotals(done, conflicts, noFree, unclean, failed, (System.nanoTime() - start) / 1e9);
        }

        /** @return false once {@code stop} is set, true as soon as netbuf has ended {@code rounds} rounds */
        private boolean awaitNetbuf(AtomicBoolean stop, Predicate<String> isNetbuf, long rounds)
                throws IOException, InterruptedException {
            while (!stop.get()) {
                if (ownership.releases(isNetbuf) >= rounds) {
                    return true;
                }
                Thread.sleep(200);
            }
            return false;
        }

        /** @return whether the round completed (setup succeeded, checks ran, teardown succeeded) */
        private boolean round(int r) {
            for (int attempt = 0; attempt < SCRIPT_ATTEMPTS; attempt++) {
                long logged = ReferenceScript.hotplugLogSize();
                ReferenceScript.Run setup = script.run(ns.name(), xenstored.socketPath(), vif, xenbus, "setup", null);
                if (!setup.succeeded()) {
                    String error = store.read(xenbus + "/hotplug-error").orElse("");
                    teardown(null);
                    if (error.contains(NO_FREE_IFB)) {
                        noFree++;
                        continue;
                    }
                    failed++;
                    System.err.println("FAILED script setup for " + vif + " round " + r + " (exit " + setup.exitCode()
                            + ", hotplug-error '" + error + "'): " + setup.output() + "hotplug log:\n"
                            + ReferenceScript.hotplugLogSince(logged));
                    return false;
                }
                String ifb = store.read(xenbus + "/ifb").orElse(null);
                if (ifb == null || !store.read(xenbus + "/hotplug-status").orElse("").equals("connected")) {
                    failed++;
                    System.err.println("FAILED script setup for " + vif + " round " + r + ": exit 0 but records "
                            + store.snapshot());
                    teardown(ifb);
                    return false;
                }
                conflicts += ownership.acquired(ifb, vif);
                boolean built = tc.redirectTargets(vif).equals(List.of(ifb)) && hasPlug(ifb);
                if (!built) {
                    failed++;
                    System.err.println("FAILED script setup for " + vif + " round " + r + ": redirect to "
                            + tc.redirectTargets(vif) + ", qdiscs of " + ifb + ": " + tc.qdiscs(ifb));
                }
                ownership.releasing(ifb, vif);
                return teardown(ifb) && built;
            }
            failed++;
            System.err.println("FAILED script setup for " + vif + " round " + r + ": no free IFB in "
                    + SCRIPT_ATTEMPTS + " attempts");
            return false;
        }

        /** libxl's teardown; @return whether it succeeded and left the vif and its records clean */
        private boolean teardown(String ifb) {
            ReferenceScript.Run run = script.run(ns.name(), xenstored.socketPath(), vif, xenbus, "teardown", ifb);
            if (!run.succeeded()) {
                failed++;
                System.err.println("FAILED script teardown for " + vif + " (exit " + run.exitCode() + "): "
                        + run.output());
                return false;
            }
            boolean redirected = !tc.redirectTargets(vif).isEmpty()
                    || tc.qdiscs(vif).stream().anyMatch(q -> q.parent() == TrafficControl.INGRESS);
            boolean recorded = store.exists(xenbus + "/ifb") || store.exists(xenbus + "/hotplug-status")
                    || store.exists(xenbus + "/hotplug-error");
            if (redirected || recorded) {
                unclean++;
                System.err.println("UNCLEAN after script teardown for " + vif + ": qdiscs " + tc.qdiscs(vif)
                        + ", records under " + xenbus + ": " + store.list(xenbus));
                return false;
            }
            return true;
        }

        private boolean hasPlug(String ifb) {
            for (Qdisc q : tc.qdiscs(ifb)) {
                if (q.isExplicit() && q.parent() == TrafficControl.ROOT && q.kind().equals("plug")) {
                    return true;
                }
            }
            return false;
        }
    }
}
