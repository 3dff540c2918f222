package io.netbuf.benchmarks;

import io.netbuf.impl.exec.CommandRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A throwaway network namespace for a benchmark trial: guest-side vifs (veth pairs, up) and
 * spare IFBs (down, no qdisc), all removed with the namespace on {@link #close()}. Needs root.
 */
final class BenchNamespace implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final CommandRunner runner = new CommandRunner(Duration.ofSeconds(30), null);
    private final String name;
    private final List<String> vifs = new ArrayList<>();
    private final List<String> ifbs = new ArrayList<>();

    private BenchNamespace(String name) {
        this.name = name;
    }

    /**
     * Creates the namespace with {@code vifCount} vifs named {@code vif<n>.0} (n from 1) and
     * {@code ifbCount} IFBs named {@code ifb<n>} (n from 0).
     *
     * @param vifCount how many vifs
     * @param ifbCount how many IFBs
     * @return the namespace
     */
    static BenchNamespace create(int vifCount, int ifbCount) {
        BenchNamespace ns = new BenchNamespace("nbbench-" + ProcessHandle.current().pid() + "-"
                + COUNTER.incrementAndGet());
        ns.run("ip", "netns", "add", ns.name);
        try {
            ns.ip("link", "set", "lo", "up");
            for (int i = 1; i <= vifCount; i++) {
                String vif = "vif" + i + ".0";
                ns.ip("link", "add", vif, "type", "veth", "peer", "name", "guest" + i);
                ns.ip("link", "set", vif, "up");
                ns.ip("link", "set", "guest" + i, "up");
                ns.vifs.add(vif);
            }
            for (int i = 0; i < ifbCount; i++) {
                ns.ip("link", "add", "ifb" + i, "type", "ifb");
                ns.ifbs.add("ifb" + i);
            }
        } catch (RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** @return the namespace's {@code ip netns} name */
    String name() {
        return name;
    }

    /** @return the vifs, in creation order */
    List<String> vifs() {
        return List.copyOf(vifs);
    }

    /** @return the spare IFBs, in creation order */
    List<String> ifbs() {
        return List.copyOf(ifbs);
    }

    /**
     * Runs {@code ip -n NAME args...}, failing on a non-zero exit.
     *
     * @param args the arguments after {@code -n NAME}
     */
    void ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", name));
        argv.addAll(List.of(args));
        run(argv.toArray(String[]::new));
    }

    /**
     * Runs {@code tc -n NAME args...}, failing on a non-zero exit.
     *
     * @param args the arguments after {@code -n NAME}
     */
    void tc(String... args) {
        List<String> argv = new ArrayList<>(List.of("tc", "-n", name));
        argv.addAll(List.of(args));
        run(argv.toArray(String[]::new));
    }

    /** Deletes the namespace with everything in it. */
    @Override
    public void close() {
        CommandRunner.Result r = runner.run("iproute2", "delete benchmark netns", List.of("ip", "netns", "del", name));
        if (!r.ok()) {
            System.err.println("could not delete netns " + name + ": " + r.stderr());
        }
    }

    private void run(String... argv) {
        CommandRunner.Result r = runner.run("iproute2", "benchmark setup", List.of(argv));
        if (!r.ok()) {
            throw new IllegalStateException(String.join(" ", argv) + " exited " + r.exitCode() + ": " + r.stderr());
        }
    }
}
