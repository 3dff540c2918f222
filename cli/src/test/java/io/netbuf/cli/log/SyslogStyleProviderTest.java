package io.netbuf.cli.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.event.Level;

class SyslogStyleProviderTest {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final PrintStream stream = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    private final Logger log = new SyslogStyleProvider().getLogger("io.netbuf.impl.engine.Teardown");
    private final String tag = "remus-netbuf-setup[" + ProcessHandle.current().pid() + "]: ";

    @AfterEach
    void reset() {
        SyslogStyleProvider.configure(null, "netbuf", Level.WARN);
    }

    @Test
    void writesOneSyslogStyleLinePerEventAtOrAboveTheThreshold() {
        SyslogStyleProvider.configure(stream, "remus-netbuf-setup", Level.INFO);
        log.debug("hidden {}", 1);
        log.info("vif={} ifb={}: torn down", "vif5.0", "ifb0");
        log.warn("step failed", new IllegalStateException("outer", new java.io.IOException("inner")));
        assertEquals(tag + "info: vif=vif5.0 ifb=ifb0: torn down\n"
                + tag + "warning: step failed (IllegalStateException: outer; caused by IOException: inner)\n",
                buffer.toString(StandardCharsets.UTF_8));
    }

    @Test
    void debugLinesNameTheirLogger() {
        SyslogStyleProvider.configure(stream, "remus-netbuf-setup", Level.DEBUG);
        log.debug("probe");
        assertEquals(tag + "debug: probe [Teardown]\n", buffer.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aClosedStreamOrOffMeansNothingIsWritten() {
        SyslogStyleProvider.configure(null, "remus-netbuf-setup", Level.TRACE);
        log.error("lost");
        SyslogStyleProvider.configure(stream, "remus-netbuf-setup", SyslogStyleProvider.parseLevel("off"));
        log.error("lost too");
        assertEquals("", buffer.toString(StandardCharsets.UTF_8));
    }

    @Test
    void parsesLevelNames() {
        assertEquals(Level.WARN, SyslogStyleProvider.parseLevel("warning"));
        assertEquals(Level.DEBUG, SyslogStyleProvider.parseLevel(" Debug "));
        assertNull(SyslogStyleProvider.parseLevel("OFF"));
        assertThrows(IllegalArgumentException.class, () -> SyslogStyleProvider.parseLevel("loud"));
    }
}
