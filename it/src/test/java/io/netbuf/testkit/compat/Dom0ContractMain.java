package io.netbuf.testkit.compat;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the xenstore kit and the change feed kit in the Xen lab's dom0 (Maven does not run there: too slow under software
 * emulation), one path at a time: {@code java -Xint -cp <it's test class path> io.netbuf.testkit.compat.Dom0ContractMain
 * xenbus|socket|tools}. Prints one line per test and a last line {@code contract PATH: N tests, P passed,
 * F failed, S skipped in T s}; exits 0 only when tests ran and every one passed (none failed, skipped or
 * aborted), 1 otherwise, 2 on a bad argument.
 */
public final class Dom0ContractMain {
    private static final Map<String, List<Class<?>>> PATHS = Map.of(
            "xenbus", List.of(Dom0XenstoreContract.Xenbus.class, Dom0ChangeFeedContract.Xenbus.class),
            "socket", List.of(Dom0XenstoreContract.Socket.class, Dom0ChangeFeedContract.Socket.class),
            "tools", List.of(Dom0XenstoreContract.Tools.class));

    private Dom0ContractMain() {
    }

    /** @param args the path to check: xenbus, socket or tools */
    public static void main(String[] args) {
        if (args.length != 1 || !PATHS.containsKey(args[0])) {
            System.err.println("usage: Dom0ContractMain xenbus|socket|tools");
            System.exit(2);
        }
        System.exit(run(args[0]));
    }

    /**
     * @param path xenbus, socket or tools
     * @return 0 when tests ran and all passed, 1 otherwise
     */
    static int run(String path) {
        long start = System.nanoTime();
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(PATHS.get(path).stream().map(c -> selectClass(c)).toList()).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        AtomicLong testStart = new AtomicLong();
        TestExecutionListener progress = new TestExecutionListener() {
            @Override
            public void executionStarted(TestIdentifier id) {
                testStart.set(System.nanoTime());
            }

            @Override
            public void executionSkipped(TestIdentifier id, String reason) {
                System.out.printf("  SKIPPED %s: %s%n", id.getDisplayName(), reason);
            }

            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
                if (!id.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                    return;
                }
                System.out.printf("  %s %s (%.1f s)%n", result.getStatus(), id.getDisplayName(),
                        (System.nanoTime() - testStart.get()) / 1e9);
                result.getThrowable().ifPresent(t -> {
                    StringWriter trace = new StringWriter();
                    t.printStackTrace(new PrintWriter(trace));
                    System.out.println(trace.toString().lines().limit(25)
                            .map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse(""));
                });
            }
        };
        launcher.execute(request, summary, progress);
        TestExecutionSummary s = summary.getSummary();
        long skipped = s.getTestsSkippedCount() + s.getTestsAbortedCount();
        long failed = s.getTestsFailedCount() + s.getContainersFailedCount();
        System.out.printf("contract %s: %d tests, %d passed, %d failed, %d skipped in %.0f s%n", path,
                s.getTestsFoundCount(), s.getTestsSucceededCount(), failed, skipped,
                (System.nanoTime() - start) / 1e9);
        boolean ok = s.getTestsFoundCount() > 0 && failed == 0 && skipped == 0
                && s.getTestsSucceededCount() == s.getTestsFoundCount();
        return ok ? 0 : 1;
    }
}
