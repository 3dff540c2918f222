package io.netbuf.it;

import io.netbuf.NetworkBuffer;
import io.netbuf.NoFreeIfbException;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.HostLock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The child JVMs of {@link CrashIT}, {@link ConcurrencyIT}, {@link ScriptConcurrencyLabIT} and
 * {@link LockFairnessIT}: a separate process acting on the shared namespace, lock directory and
 * testkit xenstored.
 *
 * <ul>
 *   <li>{@code crash BACKEND NS LOCKDIR SOCKET POINT VIF XENBUS}: attaches, and at {@code POINT}
 *       (a port operation, e.g. {@code trafficControl.addPlug}, or {@code OP:after}) prints
 *       {@code BLOCKED POINT} and waits to be killed.</li>
 *   <li>{@code hold BACKEND NS LOCKDIR SOCKET VIF XENBUS}: attaches with the real plug (sch_plug),
 *       closes an epoch ({@code checkpoint}), prints {@code HELD IFB} and waits to be killed: a
 *       controller that dies holding its guest's output.</li>
 *   <li>{@code churn BACKEND NS LOCKDIR SOCKET SHARED JVM THREADS ROUNDS PLUG}: THREADS threads,
 *       each attaching and closing its own vif of domain {@link #domid}{@code (JVM)} (devid = thread
 *       number) ROUNDS times over the shared IFB pool with the real plug ({@code PLUG} = {@code real},
 *       a kernel with sch_plug) or the {@link PlugStandIn} ({@code stand-in}), checking exclusive
 *       use of each IFB with {@link IfbOwnership}; prints {@code RESULT rounds=R conflicts=C
 *       nofree=N unclean=U errors=E longestlockwaitmicros=W} (the longest wait for the host lock,
 *       in microseconds).</li>
 *   <li>{@code lock LOCKDIR THREADS HOLDMICROS INSIDE STOP}: THREADS threads take and release the
 *       {@link HostLock#PICK_IFB} lock back to back, each holding it HOLDMICROS, until the file
 *       STOP exists; a holder creates the marker file INSIDE exclusively on entry and deletes it on
 *       exit (finding it there = an overlap); prints {@code STARTED} once the threads run, then
 *       {@code RESULT acquisitions=A overlaps=O longestwaitmicros=W totalwaitmicros=T}.</li>
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
        if (args[0].equals("lock")) {
            lockLoad(Path.of(args[1]), Integer.parseInt(args[2]), Long.parseLong(args[3]), Path.of(args[4]),
                    Path.of(args[5]));
            System.exit(0);
        }
        SystemHost.Backend backend = SystemHost.Backend.valueOf(args[1]);
        try (SystemHost system = ComposedHost.system(backend, args[2], Path.of(args[3]));
                XenstoreClient client = XenstoreClient.connect(Path.of(args[4]), Duration.ofSeconds(10))) {
            if (args[0].equals("crash")) {
                crash(ComposedHost.of(system, client, true, args[2]), args[5], args[6], args[7]);
            } else if (args[0].equals("hold")) {
                NetworkBuffer buffer = NetworkBuffer.forVif(args[5]).xenbusPath(args[6])
                        .on(ComposedHost.of(system, client, false, args[2])).attach();
                buffer.checkpoint();
                block("HELD " + buffer.ifb());
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
        System.out.println(point.startsWith("HELD ") ? point : "BLOCKED " + point);
        System.out.flush();
        while (true) {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code lock}: see the class description. */
    private static void lockLoad(Path dir, int threads, long holdMicros, Path inside, Path stop)
            throws InterruptedException {
        FlockHostLock lock = new FlockHostLock(dir);
        AtomicLong acquisitions = new AtomicLong();
        AtomicLong overlaps = new AtomicLong();
        AtomicLong longestWait = new AtomicLong();
        AtomicLong totalWait = new AtomicLong();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                while (!Files.exists(stop)) {
                    long start = System.nanoTime();
                    try (HostLock.Held held = lock.acquire(HostLock.PICK_IFB, Duration.ofMinutes(2))) {
                        long waited = (System.nanoTime() - start) / 1000;
                        longestWait.accumulateAndGet(waited, Math::max);
                        totalWait.addAndGet(waited);
                        acquisitions.incrementAndGet();
                        overlaps.addAndGet(enter(inside));
                        TimeUnit.MICROSECONDS.sleep(holdMicros);
                        Files.deleteIfExists(inside);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "lock-" + t);
            workers.add(worker);
            worker.start();
        }
        System.out.println("STARTED");
        System.out.flush();
        for (Thread w : workers) {
            w.join();
        }
        System.out.printf("RESULT acquisitions=%d overlaps=%d longestwaitmicros=%d totalwaitmicros=%d%n",
                acquisitions.get(), overlaps.get(), longestWait.get(), totalWait.get());
    }

    /** @return 1 if {@code marker} was already there (someone else is inside), else 0; creates it */
    private static int enter(Path marker) throws IOException {
        try {
            Files.createFile(marker);
            return 0;
        } catch (FileAlreadyExistsException e) {
            System.err.println("OVERLAP: " + marker + " was there when the lock was taken");
            return 1;
        }
    }

    /**
     * @param jvm a churn child's number
     * @return the domid of its guest: as on a Remus host, one domain per controller, each of its
     *     threads driving one of the domain's vifs (devid = thread number)
     */
    static int domid(int jvm) {
        return 10 + jvm;
    }

    /** @return libxl's name of the vif {@code devid} of domain {@code domid} */
    static String vif(int domid, int devid) {
        return "vif" + domid + "." + devid;
    }

    /** @return libxl's xenbus path of the network buffer of vif {@code devid} of domain {@code domid} */
    static String xenbus(int domid, int devid) {
        return "/libxl/" + domid + "/remus/netbuf/" + devid;
    }

    /**
     * Each round: attach (retrying while no IFB is free), report the IFB to {@code ownership},
     * checkpoint, commit, report the release, close, then check that the vif has no redirect left
     * and its xenbus directory no claim or hotplug status. The host lock's waits are timed.
     */
    private static void churn(BasicHost system, IfbOwnership ownership, int jvm, int threads, int rounds)
            throws InterruptedException {
        AtomicLong longestLockWait = new AtomicLong();
        HostLock lock = system.lock();
        HostLock timed = (name, timeout) -> {
            long start = System.nanoTime();
            HostLock.Held held = lock.acquire(name, timeout);
            longestLockWait.accumulateAndGet((System.nanoTime() - start) / 1000, Math::max);
            return held;
        };
        BasicHost host = new BasicHost(system.description(), system.links(), system.trafficControl(),
                system.xenstore(), timed, system.features());
        AtomicInteger done = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger noFree = new AtomicInteger();
        AtomicInteger unclean = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        List<Thread> workers = new ArrayList<>();
        int domid = domid(jvm);
        for (int t = 0; t < threads; t++) {
            int devid = t;
            Thread worker = new Thread(() -> {
                String vif = vif(domid, devid);
                String xenbus = xenbus(domid, devid);
                for (int r = 0; r < rounds; r++) {
                    try {
                        NetworkBuffer buffer;
                        try {
                            buffer = NetworkBuffer.forVif(vif).xenbusPath(xenbus).createIfbWhenNoneFree(false)
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
                                || host.xenstore().exists(xenbus + "/ifb")
                                || host.xenstore().exists(xenbus + "/hotplug-status")) {
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
        System.out.printf("RESULT rounds=%d conflicts=%d nofree=%d unclean=%d errors=%d longestlockwaitmicros=%d%n",
                done.get(), conflicts.get(), noFree.get(), unclean.get(), errors.get(), longestLockWait.get());
    }
}
