package io.netbuf.it;

import static io.netbuf.it.LabDomain.VIF;
import static io.netbuf.it.LabDomain.XENBUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.Protocols;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Links;
import io.netbuf.spi.PlugAction;
import io.netbuf.spi.Qdisc;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Xen's own {@code remus-netbuf-setup} (the reference, run from {@code ../shared/reference}, never
 * copied into the project) and netbuf side by side in the kernel lab, each on an identical domain:
 * Debian's hotplug helpers ({@code xen-utils-common}), {@code xenstore-*} tools pointed at the
 * testkit xenstored, {@code nl-qdisc-*} from {@code libnl-utils}. They must choose the same IFB,
 * write the same XenStore records and build the same kernel state; the only differences allowed
 * are the script's defects that netbuf fixes (FACTS §4: only IPv4 is buffered; a failed plug leaves
 * the redirect and the claim behind) and netbuf's IFB having no IPv6 address.
 *
 * <p>Test environment only: Debian's {@code nl-qdisc-add} cannot find its plug module; inside the
 * lab this test links it into place ({@link LibnlPlugModule}), and removes the link to make the plug
 * step fail on purpose.
 */
class ReferenceScriptLabIT {
    private static final String SCRIPT = "remus-netbuf-setup.sh";
    private static final Path XEN_SCRIPTS = Path.of("/etc/xen/scripts");
    /** Where Xen's hotplug helpers send the scripts' stderr. */
    private static final Path HOTPLUG_LOG = Path.of("/var/log/xen/xen-hotplug.log");
    private static final long SCRIPT_TIMEOUT_SECONDS = 60;

    private static Path script;

    @BeforeAll
    static void requireLabAndReference() {
        Lab.require();
        Path dir = referenceDir();
        script = dir.resolve(SCRIPT);
        if (!Files.isReadable(script)) {
            System.err.println("SKIPPED (loudly): the reference script is not at " + script
                    + " (../shared beside the repository, or NETBUF_REFERENCE_DIR): no comparison with it");
            Assumptions.abort("the reference script " + script + " is absent");
        }
        for (String tool : List.of("nl-qdisc-add", "nl-qdisc-list", "nl-qdisc-delete", "ifconfig", "modinfo",
                "xenstore-write", "arping")) {
            Requirements.require(onPath(tool), "the tool " + tool + " (scripts/install-test-deps.sh installs it)");
        }
        Requirements.require(Files.isReadable(XEN_SCRIPTS.resolve("xen-hotplug-common.sh")),
                "Xen's hotplug helpers in " + XEN_SCRIPTS + " (package xen-utils-common)");
        try {
            // A Xen host has it (package xen-utils-common); the lab's /var/log is a fresh tmpfs.
            Files.createDirectories(HOTPLUG_LOG.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Requirements.require(Files.isDirectory(Path.of("/lib/modules", uname())),
                "/lib/modules/" + uname() + " (lab.sh links the lab kernel's modules there; the script runs modinfo)");
    }

    @Test
    void choosesRecordsAndBuildsTheSameButHoldsEveryProtocol() throws InterruptedException {
        LibnlPlugModule.link(true);
        try (LabDomain theirs = LabDomain.create(3); LabDomain ours = LabDomain.create(3);
                SystemHost host = ours.host(SystemHost.Backend.NATIVE)) {
            occupyIfbs(theirs);
            occupyIfbs(ours);
            String theirsBefore = KernelState.dump(theirs.dom0);
            String oursBefore = KernelState.dump(ours.dom0);
            assertEquals(normalize(theirsBefore), normalize(oursBefore), "the two domains start alike");

            assertEquals(0, runScript(theirs, "setup", null), "the reference script's setup");
            NetworkBuffer buffer = NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(host).attach();
            try {
                assertEquals("ifb2", theirs.xenbusRecords().get(XENBUS + "/ifb"),
                        "the script skips the IFB claimed by a live domain and the one with a qdisc");
                assertEquals("ifb2", buffer.ifb(), "netbuf chooses as the script does");
                assertEquals(theirs.xenbusRecords(), ours.xenbusRecords(), "the same xenstore records");
                assertEquals(withoutFixedDefects(normalize(KernelState.dump(theirs.dom0))),
                        normalize(KernelState.dump(ours.dom0)),
                        "the same kernel state but for the filter's protocol and the IFB's IPv6 mode");

                // The script buffers IPv4 only: IPv6 and ARP pass while its plug holds.
                theirs.send(1, false, 100);
                theirs.send(2, true, 100);
                assertTrue(theirs.arping(), "the script's buffer lets ARP through");
                assertEquals(List.of(2), theirs.arrived(1), "the script's buffer lets IPv6 through");
                assertTrue(theirs.dom0HeardArp());
                // netbuf holds them all.
                ours.send(1, false, 100);
                ours.send(2, true, 100);
                assertFalse(ours.arping(), "netbuf holds ARP");
                assertEquals(List.of(), ours.arrivedWhileHeld(), "netbuf holds IPv4 and IPv6");
                assertFalse(ours.dom0HeardArp());
            } finally {
                buffer.close();
            }
            assertEquals(0, runScript(theirs, "teardown", "ifb2"), "the reference script's teardown");
            KernelState.assertRestored(theirs.dom0, theirsBefore, "the script's teardown restores the namespace");
            KernelState.assertRestored(ours.dom0, oursBefore, "netbuf's teardown restores the namespace");
            assertEquals(theirs.xenbusRecords(), ours.xenbusRecords(), "the same xenstore records after teardown");
            assertEquals(Map.of(), ours.xenbusRecords());
        }
    }

    @Test
    void whenThePlugCannotBeCreatedTheScriptLeaksAndNetbufLeavesNothing() throws InterruptedException {
        try (LabDomain theirs = LabDomain.create(1); LabDomain ours = LabDomain.create(1);
                SystemHost host = ours.host(SystemHost.Backend.NATIVE)) {
            String theirsBefore = KernelState.dump(theirs.dom0);
            String oursBefore = KernelState.dump(ours.dom0);

            LibnlPlugModule.link(false);
            int rc;
            try {
                rc = runScript(theirs, "setup", null);
            } finally {
                LibnlPlugModule.link(true);
            }
            assertNotEquals(0, rc, "nl-qdisc-add cannot load its plug module: the script fails");
            Map<String, String> records = theirs.xenbusRecords();
            assertEquals("ifb0", records.get(XENBUS + "/ifb"), "the script leaves its claim on the IFB");
            assertFalse(records.containsKey(XENBUS + "/hotplug-error"), "and reports no error: " + records);
            assertTrue(theirs.dom0.tc("qdisc", "show", "dev", VIF).contains("ingress"),
                    "and leaves the ingress redirect on the vif");

            Host failingPlug = new FailingPlugHost(host);
            assertThrows(PlugFailedException.class,
                    () -> NetworkBuffer.forVif(VIF).xenbusPath(XENBUS).on(failingPlug).attach());
            KernelState.assertRestored(ours.dom0, oursBefore, "netbuf rolls every kernel change back");
            Map<String, String> ourRecords = ours.xenbusRecords();
            assertFalse(ourRecords.containsKey(XENBUS + "/ifb"), "netbuf frees its claim: " + ourRecords);
            assertEquals("error", ourRecords.get(XENBUS + "/hotplug-status"));
            assertTrue(ourRecords.get(XENBUS + "/hotplug-error").contains("plug"), ourRecords.toString());

            assertTrue(nlQdiscList(ours, "ifb0").isBlank(), "Xen's script finds netbuf's IFB free again");

            assertEquals(0, runScript(theirs, "teardown", "ifb0"), "libxl's teardown after the failed setup");
            assertFalse(theirs.dom0.tc("qdisc", "show", "dev", VIF).contains("ingress"), "the redirect is gone");
            assertEquals(Map.of(), theirs.xenbusRecords(), "the claim is gone");
            // Found in the lab: the script brought the IFB up before its plug failed, so the kernel gave
            // it a default root qdisc, which no teardown removes; the script takes an IFB that lists any
            // qdisc for busy, so it never picks this one again.
            String listed = nlQdiscList(theirs, "ifb0");
            assertFalse(listed.isBlank(), "the script's own rule now finds its IFB busy for good");
            assertNotEquals(theirsBefore, KernelState.dump(theirs.dom0));
        }
    }

    /** @return what Xen's script sees on an IFB when it decides whether the IFB is free */
    private static String nlQdiscList(LabDomain domain, String ifb) {
        return domain.dom0.exec("nl-qdisc-list", "-d", ifb);
    }

    /** ifb0 is claimed by live domain 2, ifb1 has a qdisc, ifb2 is claimed only by dead domain 3. */
    private static void occupyIfbs(LabDomain domain) {
        domain.xenstored.store().write("/local/domain/2/name", "guest2");
        domain.xenstored.store().write("/libxl/2/remus/netbuf/0/ifb", "ifb0");
        domain.xenstored.store().write("/libxl/3/remus/netbuf/0/ifb", "ifb2");
        domain.dom0.tc("qdisc", "add", "dev", "ifb1", "root", "pfifo");
    }

    /**
     * Removes what differs between two identical domains by chance: MAC addresses, and the handles
     * the kernel numbers qdiscs with when none is asked for (one counter for the whole machine).
     */
    private static String normalize(String dump) {
        return dump.replaceAll("\"(address|permaddr)\":\"[0-9a-f:]{17}\"", "\"$1\":\"MAC\"")
                .replaceAll("\"handle\":\"(?!ffff:)[89a-f][0-9a-f]{3}:\"", "\"handle\":\"AUTO\"");
    }

    /** The script's state with netbuf's fixes applied: every protocol redirected, no IPv6 on the IFB. */
    private static String withoutFixedDefects(String dump) {
        String all = dump.replace("\"protocol\":\"ip\"", "\"protocol\":\"all\"");
        return all.replaceAll("(\"ifname\":\"ifb2\".*?\"inet6_addr_gen_mode\":)\"eui64\"", "$1\"none\"");
    }

    /**
     * Runs the reference script in the domain's dom0 the way libxl does (environment only, stdin
     * closed), from a directory that also holds Xen's hotplug helpers it sources.
     *
     * @return its exit status
     */
    private static int runScript(LabDomain domain, String command, String remusIfb) {
        try {
            Path dir = Files.createTempDirectory("xen-scripts");
            try (DirectoryStream<Path> helpers = Files.newDirectoryStream(XEN_SCRIPTS)) {
                for (Path helper : helpers) {
                    Files.createSymbolicLink(dir.resolve(helper.getFileName()), helper);
                }
            }
            Path link = dir.resolve("remus-netbuf-setup");
            Files.createSymbolicLink(link, script);
            List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", domain.dom0.name(), "bash",
                    link.toString(), command));
            ProcessBuilder pb = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().put("vifname", VIF);
            pb.environment().put("XENBUS_PATH", XENBUS);
            pb.environment().put("XENSTORED_PATH", domain.xenstored.socketPath().toString());
            if (remusIfb != null) {
                pb.environment().put("REMUS_IFB", remusIfb);
            }
            long logged = Files.exists(HOTPLUG_LOG) ? Files.size(HOTPLUG_LOG) : 0;
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(SCRIPT_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("the reference script " + command + " hung");
            }
            byte[] log = Files.exists(HOTPLUG_LOG) ? Files.readAllBytes(HOTPLUG_LOG) : new byte[0];
            System.err.println("reference script " + command + " exited " + p.exitValue() + "; output:\n"
                    + new String(out, StandardCharsets.UTF_8) + "hotplug log:\n"
                    + new String(log, (int) Math.min(logged, log.length), (int) Math.max(0, log.length - logged),
                            StandardCharsets.UTF_8));
            return p.exitValue();
        } catch (IOException e) {
            throw new UncheckedIOException("could not run the reference script", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static Path referenceDir() {
        String env = System.getenv("NETBUF_REFERENCE_DIR");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("it/kernel-lab/lab.sh"))) {
            dir = dir.getParent();
        }
        Path repo = dir != null ? dir : Path.of("").toAbsolutePath();
        return repo.resolveSibling("shared").resolve("reference");
    }

    private static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
    }

    private static String uname() {
        return Netns.sh("uname", "-r").strip();
    }

    /** A real host whose plug cannot be created: every other operation is the real one. */
    private record FailingPlugHost(Host real) implements Host {
        @Override
        public String description() {
            return real.description() + " (plug refused)";
        }

        @Override
        public Links links() {
            return real.links();
        }

        @Override
        public TrafficControl trafficControl() {
            TrafficControl tc = real.trafficControl();
            return new TrafficControl() {
                @Override
                public List<Qdisc> qdiscs(String dev) {
                    return tc.qdiscs(dev);
                }

                @Override
                public void addIngress(String dev) {
                    tc.addIngress(dev);
                }

                @Override
                public void deleteIngress(String dev) {
                    tc.deleteIngress(dev);
                }

                @Override
                public void addRedirect(String vif, String ifb, Protocols protocols) {
                    tc.addRedirect(vif, ifb, protocols);
                }

                @Override
                public List<String> redirectTargets(String vif) {
                    return tc.redirectTargets(vif);
                }

                @Override
                public void addPlug(String ifb, long limitBytes) {
                    throw OperationFailedException.of("add plug qdisc to " + ifb,
                            "refused on purpose: the plug cannot be created", VIF, ifb, null);
                }

                @Override
                public void deleteRoot(String ifb) {
                    tc.deleteRoot(ifb);
                }

                @Override
                public void plug(List<String> ifbs, PlugAction action) {
                    tc.plug(ifbs, action);
                }
            };
        }

        @Override
        public Xenstore xenstore() {
            return real.xenstore();
        }

        @Override
        public HostLock lock() {
            return real.lock();
        }

        @Override
        public KernelFeatures features() {
            return real.features();
        }
    }
}
