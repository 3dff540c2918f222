package io.netbuf.impl.tools;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.anyList;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.MissingToolException;
import io.netbuf.OperationFailedException;
import io.netbuf.PlugFailedException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.PlugAction;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tools backend's plug through libnl's {@code nl-qdisc-add}, with the command runner mocked. */
class LibnlPlugTest {
    /** What Debian 12's {@code nl-qdisc-add} prints when its plug module is not where it looks. */
    static final String MODULE_MISSING = "Error: Unable to load module \"/usr/lib/x86_64-linux-gnu/libnl/cli/qdisc/"
            + "plug.so\": /usr/lib/x86_64-linux-gnu/libnl/cli/qdisc/plug.so: cannot open shared object file: "
            + "No such file or directory\n";

    private final CommandRunner runner = mock(CommandRunner.class);
    private final ToolsTrafficControl tc = new ToolsTrafficControl(runner, "ns1", PlugTool.LIBNL);

    private static List<String> inNs(String... args) {
        List<String> argv = new ArrayList<>(List.of("ip", "netns", "exec", "ns1", "nl-qdisc-add", "--quiet",
                "--dev=ifb7", "--parent=root"));
        argv.addAll(List.of(args));
        return argv;
    }

    private void answer(List<String> argv, int exit, String stderr) {
        when(runner.run(anyString(), anyString(), eq(argv)))
                .thenReturn(new CommandRunner.Result(argv, exit, "", stderr));
    }

    @Test
    void createsThePlugWithItsLimitInOneCall() {
        List<String> add = inNs("plug", "--limit=10000000");
        answer(add, 0, "");
        tc.addPlug("ifb7", 10_000_000);
        verify(runner).run("iproute2", "add plug qdisc to ifb7 in netns ns1", add);
        verify(runner, never()).check(anyString(), anyString(), anyList());
    }

    @Test
    void everyActionChangesOnlyAnExistingPlug() {
        List<List<String>> expected = List.of(inNs("--update-only", "plug", "--buffer"),
                inNs("--update-only", "plug", "--release-one"),
                inNs("--update-only", "plug", "--release-indefinite"),
                inNs("--update-only", "plug", "--limit=4294967295"));
        expected.forEach(argv -> answer(argv, 0, ""));
        for (PlugAction action : List.of(PlugAction.BUFFER, PlugAction.RELEASE_ONE, PlugAction.RELEASE_INDEFINITE,
                PlugAction.limit(0xFFFF_FFFFL))) {
            tc.plug(List.of("ifb7"), action);
        }
        expected.forEach(argv -> verify(runner).run(eq("iproute2"), anyString(), eq(argv)));
        verify(runner, never()).check(anyString(), anyString(), anyList());
    }

    @Test
    void withoutANamespaceTheToolRunsDirectlyAndTheRestStaysOnTc() {
        ToolsTrafficControl own = new ToolsTrafficControl(runner, null, PlugTool.LIBNL);
        List<String> add = List.of("nl-qdisc-add", "--quiet", "--dev=ifb7", "--parent=root", "plug", "--limit=5000");
        List<String> release = List.of("nl-qdisc-add", "--quiet", "--dev=ifb7", "--parent=root", "--update-only",
                "plug", "--release-one");
        answer(add, 0, "");
        answer(release, 0, "");
        own.addPlug("ifb7", 5000);
        own.plug(List.of("ifb7"), PlugAction.RELEASE_ONE);
        own.deleteRoot("ifb7");
        own.addIngress("vif1");
        verify(runner).run("libnl-utils", "add plug qdisc to ifb7", add);
        verify(runner).run("libnl-utils", "plug RELEASE_ONE on ifb7", release);
        verify(runner).check("iproute2", "delete root qdisc of ifb7", List.of("tc", "qdisc", "del", "dev", "ifb7",
                "root"));
        verify(runner).check("iproute2", "add ingress qdisc to vif1", List.of("tc", "qdisc", "add", "dev", "vif1",
                "ingress"));
        assertEquals(PlugTool.LIBNL, own.plugTool());
        assertEquals(PlugTool.TC, new ToolsTrafficControl(runner, null).plugTool());
    }

    @Test
    void aPlugModuleThatCannotBeLoadedIsNamedWithItsWorkarounds() {
        List<String> add = inNs("plug", "--limit=10000000");
        answer(add, 2, MODULE_MISSING);
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.addPlug("ifb7", 10_000_000));
        assertEquals(add, e.command());
        assertEquals(java.util.Optional.of(2), e.exitCode());
        assertTrue(e.detail().startsWith("nl-qdisc-add cannot load libnl's plug module: it looks for "
                + "/usr/lib/x86_64-linux-gnu/libnl/cli/qdisc/plug.so but Debian's libnl-utils installs it under "
                + "/usr/lib/x86_64-linux-gnu/libnl-3/cli/qdisc/"), e.detail());
        assertTrue(e.detail().contains("ln -s libnl-3 /usr/lib/x86_64-linux-gnu/libnl"), e.detail());
        assertTrue(e.detail().contains("PlugTool.TC, -Dnetbuf.plugTool=tc"), e.detail());
        assertTrue(e.detail().contains("cannot open shared object file"), "the tool's own words are kept");

        // The engine's wrapping keeps that, without the misleading kernel-module hint.
        PlugFailedException plug = new PlugFailedException("add plug qdisc", "vif1.0", "ifb7", e);
        assertTrue(plug.getMessage().contains("ln -s libnl-3"), plug.getMessage());
        assertFalse(plug.getMessage().contains("modprobe"), plug.getMessage());
    }

    @Test
    void theModuleErrorIsRecognisedOnEveryActionAndForAnyModulePath() {
        List<String> buffer = inNs("--update-only", "plug", "--buffer");
        answer(buffer, 2, "Error: Unable to load module \"/opt/nl/cli/qdisc/plug.so\": gone\n");
        OperationFailedException e = assertThrows(OperationFailedException.class,
                () -> tc.plug(List.of("ifb7"), PlugAction.BUFFER));
        assertTrue(e.detail().startsWith("nl-qdisc-add cannot load libnl's plug module /opt/nl/cli/qdisc/plug.so "
                + "(package libnl-utils)"), e.detail());
        assertTrue(e.detail().contains("-Dnetbuf.plugTool=tc"), e.detail());
    }

    @Test
    void otherFailuresKeepTheToolsOwnError() {
        List<String> add = inNs("plug", "--limit=1000");
        answer(add, 1, "Error: Unable to add qdisc: Object exists\n");
        OperationFailedException e = assertThrows(OperationFailedException.class, () -> tc.addPlug("ifb7", 1000));
        assertEquals("Error: Unable to add qdisc: Object exists", e.detail());
        assertEquals(add, e.command());
        assertEquals(java.util.Optional.of(1), e.exitCode());
    }

    @Test
    void aToolMissingInsideTheNamespaceIsAMissingTool() {
        List<String> add = inNs("plug", "--limit=1000");
        answer(add, 1, "exec of \"nl-qdisc-add\" failed: No such file or directory\n");
        MissingToolException e = assertThrows(MissingToolException.class, () -> tc.addPlug("ifb7", 1000));
        assertEquals("nl-qdisc-add", e.tool());
        assertEquals("libnl-utils", e.debianPackage());
    }

    @Test
    void aToolMissingFromPathIsAMissingToolNamingItsPackage(@TempDir Path emptyDir) {
        CommandRunner real = new CommandRunner(Duration.ofSeconds(5), Map.of("PATH", emptyDir.toString()));
        MissingToolException e = assertThrows(MissingToolException.class,
                () -> new ToolsTrafficControl(real, null, PlugTool.LIBNL).addPlug("ifb7", 1000));
        assertEquals("nl-qdisc-add", e.tool());
        assertEquals("libnl-utils", e.debianPackage());
        assertTrue(e.getMessage().contains("apt-get install libnl-utils"), e.getMessage());
    }

    @Test
    void anActionOnSeveralIfbsTriesEveryOneAndThrowsTheFirstFailure() {
        List<String> one = List.of("nl-qdisc-add", "--quiet", "--dev=ifb1", "--parent=root", "--update-only", "plug",
                "--release-one");
        List<String> two = List.of("nl-qdisc-add", "--quiet", "--dev=ifb2", "--parent=root", "--update-only", "plug",
                "--release-one");
        OperationFailedException first = OperationFailedException.ofCommand("plug", one, 2, "gone", null, null);
        when(runner.run(anyString(), anyString(), eq(one))).thenThrow(first);
        when(runner.run(anyString(), anyString(), eq(two))).thenReturn(new CommandRunner.Result(two, 0, "", ""));
        ToolsTrafficControl own = new ToolsTrafficControl(runner, null, PlugTool.LIBNL);
        assertSame(first, assertThrows(OperationFailedException.class,
                () -> own.plug(List.of("ifb1", "ifb2"), PlugAction.RELEASE_ONE)));
        verify(runner).run(eq("libnl-utils"), anyString(), eq(two));
    }

    @Test
    void badInputIsRefusedBeforeAnyCommandRuns() {
        assertThrows(InvalidConfigurationException.class, () -> tc.addPlug("ifb7", 0));
        assertThrows(InvalidConfigurationException.class, () -> tc.addPlug("a/b", 1000));
        assertThrows(InvalidConfigurationException.class, () -> tc.plug(List.of("ifb7", "a b"), PlugAction.BUFFER));
        assertThrows(NullPointerException.class, () -> new ToolsTrafficControl(runner, null, null));
        verifyNoInteractions(runner);
    }

    @Test
    void actionsMapToThePlugModulesOptions() {
        assertEquals(List.of("--buffer"), LibnlPlug.options(PlugAction.BUFFER));
        assertEquals(List.of("--release-one"), LibnlPlug.options(PlugAction.RELEASE_ONE));
        assertEquals(List.of("--release-indefinite"), LibnlPlug.options(PlugAction.RELEASE_INDEFINITE));
        assertEquals(List.of("--limit=123"), LibnlPlug.options(PlugAction.limit(123)));
    }
}
