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
import io.netbuf.impl.host.SystemHost;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostLock;
import io.netbuf.spi.KernelFeatures;
import io.netbuf.spi.Links;
import io.netbuf.spi.ForwardingTrafficControl;
import io.netbuf.spi.TrafficControl;
import io.netbuf.spi.Xenstore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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
    private static ReferenceScript script;

    @BeforeAll
    static void requireLabAndReference() {
        Lab.require();
        Optional<Path> reference = ReferenceScript.locate();
        Assumptions.assumeTrue(reference.isPresent(), "the reference script is absent: no comparison with it");
        script = ReferenceScript.install(reference.get());
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
                Map<String, String> ourRecords = new TreeMap<>(ours.xenbusRecords());
                String owner = ourRecords.remove(XENBUS + "/netbuf-owner");
                assertTrue(owner != null && owner.startsWith("pid=" + ProcessHandle.current().pid() + " "),
                        "netbuf records its owner beside the claim: " + owner);
                assertEquals(theirs.xenbusRecords(), ourRecords, "the same xenstore records but netbuf's owner");
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
     * Runs the reference script in the domain's dom0 and prints its output and what it logged.
     *
     * @return its exit status
     */
    private static int runScript(LabDomain domain, String command, String remusIfb) {
        long logged = ReferenceScript.hotplugLogSize();
        ReferenceScript.Run run = script.run(domain.dom0.name(), domain.xenstored.socketPath(), VIF, XENBUS, command,
                remusIfb);
        System.err.println("reference script " + command + " exited " + run.exitCode() + "; output:\n"
                + run.output() + "hotplug log:\n" + ReferenceScript.hotplugLogSince(logged));
        return run.exitCode();
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
            return new ForwardingTrafficControl(tc) {
                @Override
                public void addPlug(String ifb, long limitBytes) {
                    throw OperationFailedException.of("add plug qdisc to " + ifb,
                            "refused on purpose: the plug cannot be created", VIF, ifb, null);
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
