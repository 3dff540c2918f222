package io.netbuf.testkit.xenstored;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.it.Requirements;
import io.netbuf.testkit.FakeXenstore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Debian's own xenstore-* binaries (libxenstore inside) against the testkit xenstored. */
class DebianToolsAgainstServerTest {
    private XenstoredServer server;
    private FakeXenstore store;
    private CommandRunner runner;

    @BeforeEach
    void start() {
        Requirements.require(Files.isExecutable(Path.of("/usr/bin/xenstore-ls")),
                "Debian's xenstore-utils (apt-get install -y xenstore-utils)");
        server = XenstoredServer.start();
        store = server.store();
        Map<String, String> env = new HashMap<>(System.getenv());
        env.putAll(server.environment());
        runner = new CommandRunner(Duration.ofSeconds(10), env);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            assertEquals(0, store.openTransactions(), "a tool left a transaction open");
            server.close();
        }
    }

    private CommandRunner.Result run(String... argv) {
        return runner.run("xenstore-utils", "test", CommandRunner.argv(argv[0], java.util.Arrays.copyOfRange(argv, 1, argv.length)));
    }

    @Test
    void lsShowsExactlyTheTree() {
        store.write("/local/domain/0/name", "Domain-0");
        store.write("/libxl/5/remus/netbuf/0/ifb", "ifb0");
        store.write("/libxl/5/remus/netbuf/0/hotplug-status", "connected");
        CommandRunner.Result r = run("xenstore-ls", "-f", "/");
        assertEquals(0, r.exitCode(), r.stderr());
        Map<String, String> seen = new TreeMap<>();
        for (String line : r.stdout().lines().toList()) {
            int eq = line.indexOf(" = ");
            seen.put(line.substring(0, eq), line.substring(eq + 4, line.length() - 1));
        }
        Map<String, String> expected = new TreeMap<>(store.snapshot());
        expected.remove("/");
        assertEquals(expected, seen);
    }

    @Test
    void writesByTheToolsLandInTheTree() {
        CommandRunner.Result r = run("xenstore-write", "/a/b", "1", "/a/c", "two words", "/d", "");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(Map.of("/", "", "/a", "", "/a/b", "1", "/a/c", "two words", "/d", ""), store.snapshot());
        assertEquals(0, run("xenstore-rm", "/a/b").exitCode());
        assertEquals(0, run("xenstore-rm", "-t", "/a/c").exitCode(), "tidy removes the emptied parent too");
        assertEquals(Map.of("/", "", "/d", ""), store.snapshot());
    }

    @Test
    void readListExistsSeeTheTree() {
        store.write("/x/zeta", "z");
        store.write("/x/alpha", "a");
        assertEquals("z\n", run("xenstore-read", "/x/zeta").stdout());
        assertEquals("zeta\nalpha\n", run("xenstore-list", "/x").stdout());
        assertEquals(0, run("xenstore-exists", "/x/alpha").exitCode());
        assertEquals(1, run("xenstore-exists", "/x/none").exitCode());
        CommandRunner.Result missing = run("xenstore-read", "/x/none");
        assertEquals(1, missing.exitCode());
        assertTrue(missing.stderr().contains("couldn't read path /x/none"), missing.stderr());
    }

    @Test
    void largeDirectoryIsListedThroughDirectoryPart() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            names.add("child-with-a-long-name-" + i);
            store.mkdir("/big/" + names.get(i));
        }
        CommandRunner.Result r = run("xenstore-list", "/big");
        assertEquals(0, r.exitCode(), r.stderr());
        assertEquals(names, r.stdout().lines().toList());
    }

    @Test
    void chmodSetsPermissions() {
        store.write("/p", "v");
        assertEquals(0, run("xenstore-chmod", "/p", "n0", "r5").exitCode());
        assertEquals(List.of("n0", "r5"), store.getPerms(0, "/p"));
        CommandRunner.Result ls = run("xenstore-ls", "-p", "/");
        assertTrue(ls.stdout().contains("(n0,r5)"), ls.stdout());
    }

    @Test
    void relativePathsResolveUnderDomainZero() {
        assertEquals(0, run("xenstore-write", "name", "Domain-0").exitCode());
        assertEquals(java.util.Optional.of("Domain-0"), store.read("/local/domain/0/name"));
    }
}
