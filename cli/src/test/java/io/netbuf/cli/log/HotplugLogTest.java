package io.netbuf.cli.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.event.Level;

class HotplugLogTest {
    private static final String PID = Long.toString(ProcessHandle.current().pid());

    @TempDir
    Path dir;

    @AfterEach
    void reset() {
        SyslogStyleProvider.configure(null, "netbuf", Level.WARN);
    }

    private HotplugLog open(Path socket) {
        return HotplugLog.open("remus-netbuf-setup", Map.of(HotplugLog.FILE_ENV, dir.resolve("xen-hotplug.log")
                .toString(), HotplugLog.SOCKET_ENV, socket.toString()));
    }

    @Test
    void everyLineGoesToTheFileAndErrorsToSyslogEvenWithStderrClosed() throws Exception {
        try (SyslogListener syslog = new SyslogListener(dir.resolve("log"))) {
            HotplugLog log = open(syslog.path());
            SyslogStyleProvider.configure(null, log, "remus-netbuf-setup", Level.INFO);
            Logger logger = new SyslogStyleProvider().getLogger("io.netbuf.cli.RemusNetbufSetupCommand");
            logger.debug("not at info");
            logger.info("Successful remus-netbuf-setup setup for vif5.0, ifb ifb0.");
            logger.warn("redirect still there");
            PrintStream errors = log.errors(new PrintStream(PrintStream.nullOutputStream(), true, StandardCharsets.UTF_8));
            errors.println("remus-netbuf-setup: the kernel lacks the plug qdisc [MissingKernelFeatureException]");

            List<String> lines = Files.readAllLines(dir.resolve("xen-hotplug.log"));
            assertEquals(3, lines.size(), lines.toString());
            assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z remus-netbuf-setup\\[" + PID
                    + "\\]: info: Successful remus-netbuf-setup setup for vif5.0, ifb ifb0\\."), lines.get(0));
            assertTrue(lines.get(1).endsWith("remus-netbuf-setup[" + PID + "]: warning: redirect still there"),
                    lines.get(1));
            assertTrue(lines.get(2).endsWith("remus-netbuf-setup[" + PID + "]: error: the kernel lacks the plug qdisc "
                    + "[MissingKernelFeatureException]"), lines.get(2));

            // failures only (a warning is not one); <PRI> = daemon (3) * 8 + severity err (3) = 27
            assertEquals(List.of("<27>remus-netbuf-setup[" + PID + "]: error: the kernel lacks the plug qdisc "
                    + "[MissingKernelFeatureException]"), syslog.received());
        }
    }

    @Test
    void noSyslogDaemonAndNoLogDirectoryCostOnlyTheLines() {
        HotplugLog log = HotplugLog.open("remus-netbuf-setup", Map.of(HotplugLog.FILE_ENV,
                dir.resolve("missing/xen-hotplug.log").toString(), HotplugLog.SOCKET_ENV, dir.resolve("nolog").toString()));
        assertFalse(log.fileOpen());
        log.line(Syslog.ERR, "error: lost");
        assertFalse(Files.exists(dir.resolve("missing")));
    }

    @Test
    void fileTimestampsAreUtcWithMilliseconds() {
        assertEquals("2026-12-03T09:05:07.042Z",
                HotplugLog.utcStamp(java.time.Instant.parse("2026-12-03T09:05:07.042Z").toEpochMilli()));
        assertEquals("1969-12-31T23:59:59.999Z", HotplugLog.utcStamp(-1));
        for (long millis = -86_400_000L * 800; millis < 86_400_000L * 80_000; millis += 86_399_999L * 7 + 12_345) {
            assertEquals(java.time.format.DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSX")
                    .format(java.time.Instant.ofEpochMilli(millis).atOffset(java.time.ZoneOffset.UTC)),
                    HotplugLog.utcStamp(millis));
        }
    }

    @Test
    void syslogMessagesAreOneLineAndBounded() {
        Syslog syslog = new Syslog(dir.resolve("log"), "remus-netbuf-setup");
        String datagram = new String(syslog.format(Syslog.ERR, "a\nb" + "x".repeat(5000)), StandardCharsets.UTF_8);
        assertTrue(datagram.startsWith("<27>remus-netbuf-setup[" + PID + "]: a b"), datagram);
        assertEquals(2048, datagram.length());
        assertTrue(new String(syslog.format(Syslog.WARNING, "m"), StandardCharsets.UTF_8).startsWith("<28>"));
        assertFalse(syslog.send(Syslog.ERR, "nobody listens"));
        assertEquals(1, syslog.failures());
    }
}
