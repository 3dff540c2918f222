package io.netbuf.it;

import io.netbuf.NetworkBuffer;
import io.netbuf.NoFreeIfbException;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.impl.xenstore.XenstoreClient;
import io.netbuf.spi.BasicHost;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The child JVMs of {@link CrashIT} and {@link ConcurrencyIT}: a separate process acting on the
 * shared namespace, lock directory and testkit xenstored.
 *
 * <ul>
 *   <li>{@code crash BACKEND NS LOCKDIR SOCKET POINT VIF XENBUS}: attaches, and at {@code POINT}
 *       (a port operation, e.g. {@code trafficControl.addPlug}, or {@code OP:after}) prints
 *       {@code BLOCKED POINT} and waits to be killed.</li>
 *   <li>{@code churn BACKEND NS LOCKDIR SOCKET SHARED JVM THREADS ROUNDS}: THREADS threads, each
 *       attaching and closing its own vif ROUNDS times over the shared IFB pool, checking exclusive
 *       use of each IFB with marker files and the claims; prints
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
            BasicHost host = ComposedHost.of(system, client, true, args[2]);
            if (args[0].equals("crash")) {
                crash(host, args[5], args[6], args[7]);
            } else {
                churn(host, client, Path.of(args[5]), Integer.parseInt(args[6]), Integer.parseInt(args[7]),
                        Integer.parseInt(args[8]));
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

    private static void churn(BasicHost host, XenstoreClient client, Path shared, int jvm, int threads,
            int rounds) throws InterruptedException {
        AtomicInteger done = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        AtomicInteger noFree = new AtomicInteger();
        AtomicInteger unclean = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        Path owners = shared.resolve("owners");
        Path log = shared.resolve("log");
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
                        Path marker = owners.resolve(ifb);
                        try {
                            Files.createFile(marker);
                        } catch (FileAlreadyExistsException e) {
                            conflicts.incrementAndGet();
                            System.err.println("CONFLICT " + ifb + " taken by " + vif + " while marked by "
                                    + Files.readString(marker));
                        }
                        Files.writeString(marker, vif);
                        append(log, "A " + ifb + " " + vif);
                        long claimants = client.list("/libxl").stream()
                                .filter(d -> client.read("/libxl/" + d + "/remus/netbuf/0/ifb").filter(ifb::equals)
                                        .isPresent())
                                .count();
                        if (claimants != 1) {
                            conflicts.incrementAndGet();
                            System.err.println("CONFLICT " + ifb + " claimed " + claimants + " times");
                        }
                        buffer.checkpoint();
                        buffer.commit();
                        append(log, "C " + ifb + " " + vif);
                        Files.delete(marker);
                        buffer.close();
                        if (!host.trafficControl().redirectTargets(vif).isEmpty()) {
                            unclean.incrementAndGet();
                        }
                        done.incrementAndGet();
                    } catch (RuntimeException | IOException e) {
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

    /** Appends one line; O_APPEND writes this small are atomic among the processes sharing the file. */
    private static void append(Path log, String line) throws IOException {
        Files.write(log, (line + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE,
                StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }
}
