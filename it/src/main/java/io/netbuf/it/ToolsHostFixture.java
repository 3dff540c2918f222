package io.netbuf.it;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.lock.FlockHostLock;
import io.netbuf.impl.tools.PlugTool;
import io.netbuf.impl.tools.ToolsLinks;
import io.netbuf.impl.tools.ToolsTrafficControl;
import io.netbuf.spi.BasicHost;
import io.netbuf.spi.Host;
import io.netbuf.testkit.FakeXenstore;
import io.netbuf.testkit.compat.HostFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * The compatibility kit's fixture for the real kernel driven through the tools backend: a fresh
 * network namespace per test (vifs are veth pairs there), the flock host lock in a temporary
 * directory, the real kernel-feature check, and an in-memory xenstore. The plug is driven by
 * {@code tc} or, when asked, by libnl's {@code nl-qdisc-add}.
 */
final class ToolsHostFixture implements HostFixture {
    private static final AtomicInteger PEERS = new AtomicInteger();

    private final Netns ns;
    private final Path lockDir;
    private final Host host;

    ToolsHostFixture() {
        this(PlugTool.TC);
    }

    /** @param plugTool what drives the plug qdisc */
    ToolsHostFixture(PlugTool plugTool) {
        Requirements.netns();
        ns = Netns.create("nbkit");
        try {
            lockDir = Files.createTempDirectory("netbuf-kit-locks");
        } catch (IOException e) {
            ns.close();
            throw new UncheckedIOException(e);
        }
        CommandRunner runner = new CommandRunner();
        host = new BasicHost("tools (ip/tc, plug through " + plugTool + ") in netns " + ns.name(),
                new ToolsLinks(runner, ns.name()), new ToolsTrafficControl(runner, ns.name(), plugTool),
                new FakeXenstore(), new FlockHostLock(lockDir),
                new HostKernelFeatures());
    }

    @Override
    public Host host() {
        return host;
    }

    @Override
    public void addVif(String name) {
        String peer = "nbpeer" + PEERS.incrementAndGet();
        ns.ip("link", "add", name, "type", "veth", "peer", "name", peer);
        ns.ip("link", "set", peer, "up");
        ns.ip("link", "set", name, "up");
    }

    @Override
    public void addIfb(String name) {
        ns.addQuietIfb(name);
    }

    @Override
    public void close() {
        ns.close();
        try (Stream<Path> files = Files.walk(lockDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            System.err.println("could not remove " + lockDir + ": " + e);
        }
    }
}
