package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.testkit.xenstored.XenstoredServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 4 JVMs x 8 threads attach and close 32 distinct vifs (one domain per JVM, as on a Remus host:
 * each thread drives one of its vifs) over a shared pool of 12 IFBs, in one real
 * namespace through the native backend, with one testkit xenstored and one flock lock directory
 * shared by all. The plug is the {@link PlugStandIn} (a real pfifo; this kernel has no sch_plug).
 * No IFB may ever serve two vifs at once ({@link IfbOwnership}: marker files, the claims, a shared
 * log). Every round must end with the vif's redirect and xenbus records gone; at the end the
 * namespace and XenStore are as before and reap finds nothing. Rounds per thread:
 * {@code -Dnetbuf.it.churnRounds} (default 32: 1,024 in all).
 */
class ConcurrencyIT {
    private static final int JVMS = 4;
    private static final int THREADS = 8;
    private static final int IFBS = 12;

    @TempDir
    Path shared;
    private Netns ns;
    private XenstoredServer xenstored;
    private final List<String> vifs = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Requirements.netns();
        ns = Netns.create("nbchurn");
        for (int i = 0; i < IFBS; i++) {
            ns.ip("link", "add", "ifb" + i, "type", "ifb");
        }
        xenstored = XenstoredServer.start();
        for (int jvm = 0; jvm < JVMS; jvm++) {
            vifs.addAll(ChurnChildren.addDomain(ns, xenstored.store(), ChildMain.domid(jvm), THREADS));
        }
        IfbOwnership.prepare(shared);
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
        for (String vif : vifs) {
            KernelState.awaitOperUp(ns, vif);
        }
        String clean = KernelState.dump(ns);
        Map<String, String> storeBefore = xenstored.store().snapshot();
        long start = System.nanoTime();
        ChurnChildren.Totals totals;
        try (ChurnChildren children = ChurnChildren.start(JVMS, THREADS, rounds, SystemHost.Backend.NATIVE, false, ns,
                shared.resolve("locks"), xenstored.socketPath(), shared)) {
            totals = children.await(Duration.ofMinutes(15));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        int logConflicts = new IfbOwnership(shared, xenstored.store()).logConflicts();
        System.out.printf("concurrency: %d JVMs x %d threads, %d rounds in %d s, conflicts %d (log: %d), "
                + "no-free-IFB retries %d, unclean rounds %d, errors %d%n", JVMS, THREADS, totals.rounds(), seconds,
                totals.conflicts(), logConflicts, totals.noFree(), totals.unclean(), totals.errors());
        assertEquals((long) JVMS * THREADS * rounds, totals.rounds(), "every round completed");
        assertEquals(0, totals.conflicts(), "conflicts seen by the children");
        assertEquals(0, logConflicts, "conflicts in the shared log");
        assertEquals(0, totals.unclean(), "rounds that left the vif redirected or its xenbus records behind");
        assertEquals(0, totals.errors(), "errors");
        CleanState.assertClean(ns, clean, "the namespace is as before");
        assertEquals(storeBefore, xenstored.store().snapshot(), "xenstore is as before");
        try (SystemHost system = ComposedHost.system(SystemHost.Backend.NATIVE, ns.name(), shared.resolve("locks"));
                XenstoreClient client = XenstoreClient.connect(xenstored.socketPath(), Duration.ofSeconds(5))) {
            assertTrue(NetworkBuffer.reap(ComposedHost.of(system, client, true, ns.name())).isClean());
        }
    }
}
