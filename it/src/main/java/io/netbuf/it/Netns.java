package io.netbuf.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A throwaway network namespace for real-kernel tests, deleted (with everything in it) on
 * close. Commands run with a timeout; failures throw with the command's output.
 */
public final class Netns implements AutoCloseable {
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private final String name;

    private Netns(String name) {
        this.name = name;
    }

    /**
     * Creates a namespace with a unique name and loopback up.
     *
     * @param prefix a short prefix (the name stays well under 15 characters is not required here)
     * @return the namespace
     */
    public static Netns create(String prefix) {
        Requirements.netns();
        String name = prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        sh("ip", "netns", "add", name);
        Netns ns = new Netns(name);
        ns.ip("link", "set", "lo", "up");
        return ns;
    }

    /** @return the namespace's name (for {@code ip -n}, {@code tc -n}, {@code ip netns exec}) */
    public String name() {
        return name;
    }

    /**
     * Runs {@code ip -n NAME args...}.
     *
     * @param args the arguments after {@code ip -n NAME}
     * @return standard output
     */
    public String ip(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "-n", name));
        argv.addAll(List.of(args));
        return sh(argv.toArray(String[]::new));
    }

    /**
     * Runs {@code tc -n NAME args...}.
     *
     * @param args the arguments after {@code tc -n NAME}
     * @return standard output
     */
    public String tc(String... args) {
        List<String> argv = new ArrayList<>(List.of("tc", "-n", name));
        argv.addAll(List.of(args));
        return sh(argv.toArray(String[]::new));
    }

    /**
     * Runs a command inside the namespace ({@code ip netns exec NAME ...}).
     *
     * @param args the command
     * @return standard output
     */
    public String exec(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", name));
        argv.addAll(List.of(args));
        return sh(argv.toArray(String[]::new));
    }

    /**
     * Adds an IFB device with IPv6 disabled on it, so that the kernel sends nothing of its own
     * through it (MLD reports and router solicitations once it is up would otherwise land in a
     * plug on it and show as backlog).
     *
     * @param ifb the device's name
     */
    public void addQuietIfb(String ifb) {
        ip("link", "add", ifb, "type", "ifb");
        exec("sysctl", "-q", "-w", "net.ipv6.conf." + ifb + ".disable_ipv6=1");
    }

    /** Deletes the namespace and everything in it. */
    @Override
    public void close() {
        try {
            sh("ip", "netns", "del", name);
        } catch (IllegalStateException e) {
            System.err.println("could not delete netns " + name + ": " + e.getMessage());
        }
    }

    /**
     * Runs a command on the host, failing on a non-zero exit or after 30 s.
     *
     * @param argv the command
     * @return standard output
     */
    public static String sh(String... argv) {
        try {
            Process p = new ProcessBuilder(argv).start();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", argv));
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", argv) + " exited " + p.exitValue() + ": "
                        + new String(err, StandardCharsets.UTF_8).strip());
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("could not run " + String.join(" ", argv), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", argv), e);
        }
    }
}
