package io.netbuf.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.TrafficControl;
import io.netbuf.testkit.FakeHost;
import io.netbuf.testkit.FakeXenstore;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The hotplug command on FakeHost, as libxl drives it: variables in the environment (or as
 * NAME=value arguments), the outcome in XenStore and in the exit status.
 */
class RemusNetbufSetupCommandTest {
    private static final String PATH = "/libxl/5/remus/netbuf/0";
    private static final Map<String, String> ENV = Map.of("vifname", "vif5.0", "XENBUS_PATH", PATH);

    // libxl owns XENBUS_PATH itself (removed with the domain); the script adds and removes leaves under it
    private final FakeHost host = FakeHost.create().withVif("vif5.0").withIfbs(2)
            .withXenstore("/local/domain/5/name", "guest").withXenstore(PATH, "").markClean();
    private final CliRunner cli = new CliRunner(host);

    private CliRunner.Result hotplug(Map<String, String> env, String... args) {
        return cli.run(env, RemusNetbufSetupCommand.NAME, args);
    }

    private Optional<String> xs(String leaf) {
        return host.fakeXenstore().read(PATH + "/" + leaf);
    }

    @Test
    void setupLeavesTheBufferInPlaceAndRecordsItWhereLibxlReads() {
        CliRunner.Result r = hotplug(ENV, "setup");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.out());
        assertEquals(Optional.of("ifb0"), xs("ifb"));
        assertEquals(Optional.of("connected"), xs("hotplug-status"));
        assertEquals(Optional.empty(), xs("hotplug-error"));
        assertTrue(host.plugState("ifb0").isPresent(), "the plug stays after the command returns");
        assertEquals(List.of("ifb0"), host.trafficControl().redirectTargets("vif5.0"));

        CliRunner.Result t = hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", PATH, "REMUS_IFB", "ifb0"),
                "teardown");
        assertEquals(0, t.status(), t.err());
        host.assertClean();
    }

    @Test
    void teardownMayRunAgainAndNeverFreesAnIfbTheRecordDoesNotName() {
        assertEquals(0, hotplug(ENV, "setup").status());
        // another domain's teardown with the wrong IFB: only its own vif and status go
        CliRunner.Result wrong = hotplug(Map.of(), "teardown", "vifname=vif5.0", "XENBUS_PATH=" + PATH,
                "REMUS_IFB=ifb1");
        assertEquals(0, wrong.status(), wrong.err());
        assertEquals(Optional.of("ifb0"), xs("ifb"), "the claim on ifb0 stays");
        assertTrue(host.plugState("ifb0").isPresent());
        assertEquals(0, hotplug(ENV, "teardown", "REMUS_IFB=ifb0").status());
        assertEquals(0, hotplug(ENV, "teardown", "REMUS_IFB=ifb0").status(), "second teardown");
        host.assertClean();
    }

    @Test
    void argumentsWinOverTheEnvironmentInAnyOrder() {
        host.addVif("vif6.0");
        host.fakeXenstore().write("/libxl/6/remus/netbuf/0", "");
        host.markClean();
        CliRunner.Result r = hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", "/libxl/9/remus/netbuf/9"),
                "XENBUS_PATH=/libxl/6/remus/netbuf/0", "setup", "vifname=vif6.0");
        assertEquals(0, r.status(), r.err());
        assertEquals(Optional.of("ifb0"), host.fakeXenstore().read("/libxl/6/remus/netbuf/0/ifb"));
        assertEquals(List.of("ifb0"), host.trafficControl().redirectTargets("vif6.0"));
        assertEquals(List.of(), host.trafficControl().redirectTargets("vif5.0"));
        assertEquals(0, hotplug(Map.of("vifname", "vif6.0", "XENBUS_PATH", "/libxl/6/remus/netbuf/0",
                "REMUS_IFB", "ifb0"), "teardown").status());
        host.assertClean();
    }

    @Test
    void aFailedSetupLeavesNothingButTheErrorForLibxl() {
        host.faults().failNth("trafficControl.addPlug", 1);
        CliRunner.Result r = hotplug(ENV, "setup");
        assertEquals(1, r.status());
        assertEquals(Optional.of("error"), xs("hotplug-status"));
        assertTrue(xs("hotplug-error").orElseThrow().contains("plug"), xs("hotplug-error").orElseThrow());
        assertEquals(Optional.empty(), xs("ifb"), "the IFB claim is rolled back");
        assertEquals(List.of(), host.trafficControl().redirectTargets("vif5.0"));
        assertTrue(r.err().startsWith("remus-netbuf-setup: "), r.err());
        assertTrue(r.err().contains("[PlugFailedException]"), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }

    @Test
    void aKernelWithoutThePlugIsRefusedBeforeAnyChange() {
        FakeHost noPlug = FakeHost.create().withVif("vif5.0").withIfbs(1).withoutFeature(KernelFeature.PLUG)
                .markClean();
        CliRunner.Result r = new CliRunner(noPlug).run(ENV, RemusNetbufSetupCommand.NAME, "setup");
        assertEquals(1, r.status());
        assertTrue(r.err().contains("[MissingKernelFeatureException]"), r.err());
        FakeXenstore store = noPlug.fakeXenstore();
        assertEquals(Optional.of("error"), store.read(PATH + "/hotplug-status"));
        assertTrue(store.read(PATH + "/hotplug-error").orElseThrow().contains("plug"));
        assertFalse(store.exists(PATH + "/ifb"));
        assertTrue(noPlug.trafficControl().qdiscs("vif5.0").stream().noneMatch(q -> q.parent()
                == TrafficControl.INGRESS));
    }

    @Test
    void unknownNameValueArgumentsAreIgnoredAsXensScriptsDo() {
        CliRunner.Result r = hotplug(Map.of(), "teardown", "vifname=vif5.0", "XENBUS_PATH=" + PATH,
                "script=/etc/xen/scripts/remus-netbuf-setup", "vifnmae=vif1.0");
        assertEquals(0, r.status(), r.err());
        assertEquals("", r.err());
        host.assertClean();
    }

    @Test
    void wrongUsageExitsTwoWithoutTouchingTheHost() {
        host.clearCalls();
        assertUsage(hotplug(Map.of("XENBUS_PATH", PATH), "setup"), "vifname is not set");
        assertUsage(hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", ""), "setup"), "XENBUS_PATH is not set");
        assertUsage(hotplug(ENV), "missing command: setup or teardown");
        assertUsage(hotplug(ENV, "attach"), "invalid command 'attach'");
        assertUsage(hotplug(ENV, "setup", "teardown"), "unexpected argument 'teardown'");
        assertUsage(hotplug(Map.of("vifname", "vif 5", "XENBUS_PATH", PATH), "setup"), "vif");
        assertUsage(hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", "libxl/5"), "setup"), "xenbus");
        assertUsage(hotplug(ENV, "teardown", "REMUS_IFB=ifb 0"), "ifb");
        assertEquals(List.of(), host.calls(), "no port operation ran");
    }

    @Test
    void aXenbusPathOfAnotherShapeThanLibxlsIsRefusedBeforeAnyChange() {
        String guestWritable = "/local/domain/5/device/vif/0";
        host.fakeXenstore().write(guestWritable, "");
        host.markClean();
        host.clearCalls();
        for (String path : List.of(guestWritable, "/libxl/5/remus/netbuf", "/libxl/5/remus/netbuf/0/x",
                "/vm/5/remus/netbuf/0")) {
            for (String operation : List.of("setup", "teardown")) {
                CliRunner.Result r = hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", path), operation);
                assertUsage(r, "XENBUS_PATH");
                assertTrue(r.err().contains("/libxl/<domid>/remus/netbuf/<devid>")
                        && r.err().contains(RemusNetbufSetupCommand.ANY_XENBUS_PATH_ENV)
                        && r.err().contains("[InvalidConfigurationException]"), r.err());
            }
        }
        assertEquals(List.of(), host.calls(), "no port operation ran");
        host.assertClean();
    }

    @Test
    void anotherShapeIsAcceptedWhenExplicitlyAllowed() {
        String other = "/local/domain/0/netbuf/vif5-0";
        host.fakeXenstore().write(other, "");
        host.markClean();
        CliRunner.Result r = hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", other,
                RemusNetbufSetupCommand.ANY_XENBUS_PATH_ENV, "1"), "setup");
        assertEquals(0, r.status(), r.err());
        assertEquals(Optional.of("ifb0"), host.fakeXenstore().read(other + "/ifb"));
        CliRunner.Result t = hotplug(Map.of("vifname", "vif5.0", "XENBUS_PATH", other, "REMUS_IFB", "ifb0"),
                "teardown", RemusNetbufSetupCommand.ANY_XENBUS_PATH_OPTION);
        assertEquals(0, t.status(), t.err());
        host.assertClean();
        assertTrue(hotplug(Map.of(), "--help").out().contains(RemusNetbufSetupCommand.ANY_XENBUS_PATH_ENV));
    }

    @Test
    void helpIsPrintedAndIsNotAFailure() {
        CliRunner.Result r = hotplug(Map.of(), "--help");
        assertEquals(0, r.status());
        assertTrue(r.out().contains("XENBUS_PATH"), r.out());
        assertEquals(0, cli.netbuf("remus-netbuf-setup", "-h").status(), "also as a netbuf command");
    }

    @Test
    void isAlsoANetbufCommand() {
        CliRunner.Result r = cli.run(ENV, Cli.PROGRAM, "remus-netbuf-setup", "setup");
        assertEquals(0, r.status(), r.err());
        assertEquals(Optional.of("ifb0"), xs("ifb"));
        assertEquals(0, cli.run(ENV, Cli.PROGRAM, "remus-netbuf-setup", "teardown", "REMUS_IFB=ifb0").status());
        host.assertClean();
    }

    private static void assertUsage(CliRunner.Result r, String expected) {
        assertEquals(2, r.status(), r.err());
        assertTrue(r.err().toLowerCase().contains(expected.toLowerCase()), r.err());
        assertEquals(1, r.err().lines().count(), "one line: " + r.err());
    }
}
