package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 4 JVMs x 8 threads attach and close 32 distinct vifs over a shared pool of 12 IFBs, in one real
 * namespace through the native backend, with one testkit xenstored and one flock lock directory
 * shared by all. The plug is the {@link PlugStandIn} (a real bfifo; this kernel has no sch_plug).
 * No IFB may ever serve two vifs at once: each child marks the IFB it got with an exclusively
 * created file and checks that exactly one claim names it, and every attach/close is appended to a
 * shared log whose per-IFB sequence must alternate attach/close of the same vif. Every round must
 * end with the vif's redirect gone; at the end the namespace and XenStore are as before and reap
 * finds nothing. Rounds per thread: {@code -Dnetbuf.it.churnRounds} (default 32: 1,024 in all).
 */
class ConcurrencyIT {
    private static final int JVMS = 4;
    private static final int THREADS = 8;
    private static final int IFBS = 12;
    private static final Pattern RESULT = Pattern.compile(
            "RESULT rounds=(\\d+) conflicts=(\\d+) nofree=(\\d+) unclean=(\\d+) errors=(\\d+)");

    @TempDir
    Path shared;
    private Netns ns;
    private XenstoredServer xenstored;

    @BeforeEach
    void setUp() throws Exception {
        Requirements.netns();
        ns = Netns.create("nbchurn");
        for (int i = 0; i < IFBS; i++) {
            ns.ip("link", "add", "ifb" + i, "type", "ifb");
        }
        xenstored = XenstoredServer.start();
        for (int jvm = 0; jvm < JVMS; jvm++) {
            for (int t = 0; t < THREADS; t++) {
                int domid = ChildMain.domid(jvm, t);
                ns.ip("link", "add", ChildMain.vif(domid), "type", "veth", "peer", "name", "g" + domid);
                ns.ip("link", "set", ChildMain.vif(domid), "up");
                ns.ip("link", "set", "g" + domid, "up");
                xenstored.store().write("/local/domain/" + domid + "/name", "guest" + domid);
                xenstored.store().mkdir(ChildMain.xenbus(domid));
            }
        }
        Files.createDirectories(shared.resolve("owners"));
        Files.createDirectories(shared.resolve("locks"));
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
    void noIfbEverServesTwoVifsAndEveryRoundEndsClean() throws Exception {
        int rounds = Integer.getInteger("netbuf.it.churnRounds", 32);
        for (int jvm = 0; jvm < JVMS; jvm++) {
            for (int t = 0; t < THREADS; t++) {
                KernelState.awaitOperUp(ns, ChildMain.vif(ChildMain.domid(jvm, t)));
            }
        }
        String clean = KernelState.dump(ns);
        Map<String, String> storeBefore = xenstored.store().snapshot();
        long start = System.nanoTime();
        List<Process> children = new ArrayList<>();
        for (int jvm = 0; jvm < JVMS; jvm++) {
            children.add(ChildJvm.start(List.of("churn", "NATIVE", ns.name(), shared.resolve("locks").toString(),
                    xenstored.socketPath().toString(), shared.toString(), Integer.toString(jvm),
                    Integer.toString(THREADS), Integer.toString(rounds))));
        }
        long[] totals = new long[5];
        for (Process child : children) {
            String result = null;
            try (BufferedReader out = ChildJvm.stdout(child)) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                    if (line.startsWith("RESULT")) {
                        result = line;
                    }
                }
            }
            assertTrue(child.waitFor(15, TimeUnit.MINUTES), "a child did not finish");
            assertEquals(0, child.exitValue(), "child exit status");
            Matcher m = RESULT.matcher(String.valueOf(result));
            assertTrue(m.matches(), "child reported: " + result);
            for (int i = 0; i < 5; i++) {
                totals[i] += Long.parseLong(m.group(i + 1));
            }
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        int logConflicts = logConflicts(Files.readAllLines(shared.resolve("log")));
        System.out.printf("concurrency: %d JVMs x %d threads, %d rounds in %d s, conflicts %d (log: %d), "
                + "no-free-IFB retries %d, unclean rounds %d, errors %d%n", JVMS, THREADS, totals[0], seconds,
                totals[1], logConflicts, totals[2], totals[3], totals[4]);
        assertEquals((long) JVMS * THREADS * rounds, totals[0], "every round completed");
        assertEquals(0, totals[1], "conflicts seen by the children");
        assertEquals(0, logConflicts, "conflicts in the shared log");
        assertEquals(0, totals[3], "rounds that left the vif redirected");
        assertEquals(0, totals[4], "errors");
        CleanState.assertClean(ns, clean, "the namespace is as before");
        assertEquals(storeBefore, xenstored.store().snapshot(), "xenstore is as before");
        try (SystemHost system = ComposedHost.system(SystemHost.Backend.NATIVE, ns.name(), shared.resolve("locks"));
                XenstoreClient client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(5))) {
            assertTrue(NetworkBuffer.reap(ComposedHost.of(system, client, true, ns.name())).isClean());
        }
    }

    /** @return how often an IFB was attached while another vif had it (the log is in append order) */
    private static int logConflicts(List<String> log) {
        Map<String, String> holder = new HashMap<>();
        int conflicts = 0;
        for (String line : log) {
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
}
