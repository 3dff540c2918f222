package io.netbuf.it;

import io.netbuf.NetworkBuffer;
import io.netbuf.NoFreeIfbException;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child JVMs of {@link CrashIT}, {@link ConcurrencyIT} and {@link ScriptConcurrencyLabIT}: a
 * separate process acting on the shared namespace, lock directory and testkit xenstored.
 *
 * <ul>
 *   <li>{@code crash BACKEND NS LOCKDIR SOCKET POINT VIF XENBUS}: attaches, and at {@code POINT}
 *       (a port operation, e.g. {@code trafficControl.addPlug}, or {@code OP:after}) prints
 *       {@code BLOCKED POINT} and waits to be killed.</li>
 *   <li>{@code churn BACKEND NS LOCKDIR SOCKET SHARED JVM THREADS ROUNDS PLUG}: THREADS threads,
 *       each attaching and closing its own vif ROUNDS times over the shared IFB pool with the real
 *       plug ({@code PLUG} = {@code real}, a kernel with sch_plug) or the {@link PlugStandIn}
 *       ({@code stand-in}), checking exclusive use of each IFB with {@link IfbOwnership}; prints
 *       {@code RESULT rounds=R conflicts=C nofree=N unclean=U errors=E}.</li>
 * </ul>
 */
public final class ChildMain {
    private ChildMain() {
    }

    /**
     * @param args see the class description
     * @throws Exception on a failure, which the parent sees as a non-zero exit
     */
    public static void main(String[] args) throws Exception {
        SystemHost.Backend backend = SystemHost.Backend.valueOf(args[1]);
        try (SystemHost system = ComposedHost.system(backend, args[2], Path.of(args[3]));
                XenstoreClient client = XenstoreClient.connect(Path.of(args[4]), Duration.ofSeconds(10))) {
            if (args[0].equals("crash")) {
                crash(ComposedHost.of(system, client, true, args[2]), args[5], args[6], args[7]);
            } else {
                boolean standIn = switch (args[9]) {
                    case "stand-in" -> true;
                    case "real" -> false;
                    default -> throw new IllegalArgumentException("PLUG must be real or stand-in: " + args[9]);
                };
                churn(ComposedHost.of(system, client, standIn, args[2]), new IfbOwnership(Path.of(args[5]), client),
                        Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]));
            }
        }
        System.exit(0);
    }

    private static void crash(BasicHost host, String point, String vif, String xenbus) {
        BasicHost blocking = ComposedHost.intercepted(host, new ComposedHost.Hook() {
            @Override
            public void before(String operation, Object[] args) {
                if (operation.equals(point)) {
                    block(point);
                }
            }

            @Override
            public void after(String operation, Object[] args) {
                if ((operation + ":after").equals(point)) {
                    block(point);
                }
            }
        });
        NetworkBuffer.forVif(vif).xenbusPath(xenbus).on(blocking).attach();
        System.out.println("ATTACHED without reaching " + point);
    }

    private static void block(String point) {
        System.out.println("BLOCKED " + point);
        System.out.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The vif and domid of thread {@code t} of JVM {@code jvm}. */
    static int domid(int jvm, int thread) {
        return 10 + jvm * 8 + thread;
    }

    static String vif(int domid) {
        return "vif" + domid + ".0";
    }

    static String xenbus(int domid) {
        return "/libxl/" + domid + "/remus/netbuf/0";
    }

    /**
     * Each round: attach (retrying while no IFB is free), report the IFB to {@code ownership},
     * checkpoint, commit, report the release, close, then check that the vif has no redirect left
     * and its xenbus directory no claim or hotplug status.
     */
    private static void churn(BasicHost host, IfbOwnership ownership, int jvm, int threads, int rounds)
            throws InterruptedException {
        AtomicInteger done = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger noFree = new AtomicInteger();
        AtomicInteger unclean = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int domid = domid(jvm, t);
            Thread worker = new Thread(() -> {
                String vif = vif(domid);
                for (int r = 0; r < rounds; r++) {
                    try {
                        NetworkBuffer buffer;
                        try {
                            buffer = NetworkBuffer.forVif(vif).xenbusPath(xenbus(domid)).createIfbWhenNoneFree(false)
                                    .lockTimeout(Duration.ofSeconds(120)).on(host).attach();
                        } catch (NoFreeIfbException e) {
                            noFree.incrementAndGet();
                            r--;
                            Thread.sleep(ThreadLocalRandom.current().nextInt(1, 20));
                            continue;
                        }
                        String ifb = buffer.ifb();
                        conflicts.addAndGet(ownership.acquired(ifb, vif));
                        buffer.checkpoint();
                        buffer.commit();
                        ownership.releasing(ifb, vif);
                        buffer.close();
                        if (!host.trafficControl().redirectTargets(vif).isEmpty()
                                || host.xenstore().exists(xenbus(domid) + "/ifb")
                                || host.xenstore().exists(xenbus(domid) + "/hotplug-status")) {
                            unclean.incrementAndGet();
                        }
                        done.incrementAndGet();
                    } catch (RuntimeException e) {
                        errors.incrementAndGet();
                        System.err.println("ERROR " + vif + " round " + r + ": " + e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "churn-" + jvm + "-" + t);
            workers.add(worker);
            worker.start();
        }
        for (Thread w : workers) {
            w.join();
        }
        System.out.printf("RESULT rounds=%d conflicts=%d nofree=%d unclean=%d errors=%d%n", done.get(),
                conflicts.get(), noFree.get(), unclean.get(), errors.get());
    }
}
