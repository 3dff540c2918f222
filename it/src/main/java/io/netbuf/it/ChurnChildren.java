package io.netbuf.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.host.SystemHost;
import io.netbuf.testkit.FakeXenstore;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The parent's side of {@link ChildMain}'s {@code churn}: starts the child JVMs and adds up their
 * results; closing it kills those still running.
 */
final class ChurnChildren implements AutoCloseable {
    private static final Pattern RESULT = Pattern.compile(
            "RESULT rounds=(\\d+) conflicts=(\\d+) nofree=(\\d+) unclean=(\\d+) errors=(\\d+) "
                    + "longestlockwaitmicros=(\\d+)");

    private final List<Process> children;

    private ChurnChildren(List<Process> children) {
        this.children = children;
    }

    /** What the children reported, added up; {@code longestLockWaitMicros} is the longest of any child. */
    record Totals(long rounds, long conflicts, long noFree, long unclean, long errors, long longestLockWaitMicros) {
    }

    /**
     * Adds a guest domain as dom0 sees it: its name under {@code /local/domain}, and for each devid
     * {@code 0..vifs-1} the vif {@link ChildMain#vif} (a veth with the peer {@code g<domid>.<devid>},
     * both up) and its empty xenbus directory {@link ChildMain#xenbus}, as libxl has them while
     * Remus runs.
     *
     * @param ns dom0's namespace
     * @param store the xenstore
     * @param domid the domain
     * @param vifs how many vifs it has
     * @return the vifs' names (callers wait for them to be up)
     */
    static List<String> addDomain(Netns ns, FakeXenstore store, int domid, int vifs) {
        store.write("/local/domain/" + domid + "/name", "guest" + domid);
        List<String> names = new ArrayList<>();
        for (int devid = 0; devid < vifs; devid++) {
            String vif = ChildMain.vif(domid, devid);
            String peer = "g" + domid + "." + devid;
            ns.ip("link", "add", vif, "type", "veth", "peer", "name", peer);
            ns.ip("link", "set", vif, "up");
            ns.ip("link", "set", peer, "up");
            store.mkdir(ChildMain.xenbus(domid, devid));
            names.add(vif);
        }
        return names;
    }

    /**
     * Starts {@code jvms} children, JVM {@code j} driving the vifs {@code 0..threads-1} of domain
     * {@link ChildMain#domid}{@code (j)} (see {@link #addDomain}).
     *
     * @param jvms how many child JVMs
     * @param threads threads per JVM
     * @param rounds rounds per thread
     * @param backend the backend they use
     * @param realPlug whether they use the kernel's plug (else the {@link PlugStandIn})
     * @param ns the namespace they act in
     * @param lockDir the host lock directory they share
     * @param xenstored the xenstored's socket
     * @param shared the directory of their {@link IfbOwnership} (prepared)
     * @return the running children
     * @throws IOException if one cannot start
     */
    static ChurnChildren start(int jvms, int threads, int rounds, SystemHost.Backend backend, boolean realPlug,
            Netns ns, Path lockDir, Path xenstored, Path shared) throws IOException {
        List<Process> children = new ArrayList<>();
        try {
            for (int jvm = 0; jvm < jvms; jvm++) {
                children.add(ChildJvm.start(List.of("churn", backend.name(), ns.name(), lockDir.toString(),
                        xenstored.toString(), shared.toString(), Integer.toString(jvm), Integer.toString(threads),
                        Integer.toString(rounds), realPlug ? "real" : "stand-in")));
            }
        } catch (IOException | RuntimeException e) {
            children.forEach(Process::destroyForcibly);
            throw e;
        }
        return new ChurnChildren(children);
    }

    /**
     * Waits for every child to finish, asserting each exited 0 with a result line.
     *
     * @param timeout how long all of them may take
     * @return their results, added up
     * @throws IOException if a child's output cannot be read
     * @throws InterruptedException if interrupted while waiting
     */
    Totals await(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long[] totals = new long[6];
        try {
            for (Process child : children) {
                // A child prints one line on stdout (logs go to stderr): the pipe cannot fill up first.
                assertTrue(child.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS),
                        "a child did not finish within " + timeout);
                String result = null;
                try (BufferedReader out = ChildJvm.stdout(child)) {
                    for (String line = out.readLine(); line != null; line = out.readLine()) {
                        if (line.startsWith("RESULT")) {
                            result = line;
                        }
                    }
                }
                assertEquals(0, child.exitValue(), "child exit status");
                Matcher m = RESULT.matcher(String.valueOf(result));
                assertTrue(m.matches(), "child reported: " + result);
                for (int i = 0; i < 5; i++) {
                    totals[i] += Long.parseLong(m.group(i + 1));
                }
                totals[5] = Math.max(totals[5], Long.parseLong(m.group(6)));
            }
        } finally {
            close();
        }
        return new Totals(totals[0], totals[1], totals[2], totals[3], totals[4], totals[5]);
    }

    /** Kills the children still running. */
    @Override
    public void close() {
        children.forEach(Process::destroyForcibly);
    }
}
