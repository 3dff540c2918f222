package io.netbuf.impl.jfr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.NetworkBuffer;
import io.netbuf.testkit.FakeHost;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** netbuf's Flight Recorder events, recorded around a FakeHost buffer and read back from the file. */
class JfrEventsTest {
    private static final String VIF = "vif5.0";

    @Test
    void aRecordingShowsEveryActionWithItsBufferAndFigures(@TempDir Path dir) throws Exception {
        FakeHost host = FakeHost.create().withVif(VIF).withIfbs(1);
        Path file = dir.resolve("netbuf.jfr");
        long released;
        try (Recording recording = new Recording()) {
            for (String name : List.of("Attach", "Checkpoint", "Commit", "ReleaseIndefinitely", "LimitChange", "Drop",
                    "Close", "Failure")) {
                recording.enable("io.netbuf." + name).withThreshold(Duration.ZERO);
            }
            recording.start();
            assertTrue(JfrEvents.recording(), "the running recording is seen");
            try (NetworkBuffer buffer = NetworkBuffer.forVif(VIF).limit(1_000).on(host).attach()) {
                host.guest(VIF).sendIpv4(100);
                host.guest(VIF).sendIpv4(950); // over the limit
                buffer.checkpoint();
                buffer.commit();
                released = host.delivered(VIF).get(0).length();
                buffer.changeLimit(2_000);
                host.faults().failOn("trafficControl.plug");
                try {
                    buffer.releaseIndefinitely();
                } catch (RuntimeException expected) {
                    host.faults().clear();
                }
                host.guest(VIF).sendIpv4(200); // purged at close
            }
            recording.stop();
            recording.dump(file);
        }
        assertFalse(JfrEvents.recording(), "no recording runs any more");
        List<RecordedEvent> events = RecordingFile.readAllEvents(file).stream()
                .filter(e -> e.getEventType().getName().startsWith("io.netbuf."))
                .sorted(Comparator.comparing(RecordedEvent::getStartTime))
                .collect(Collectors.toList());
        List<String> names = events.stream().map(e -> e.getEventType().getName().substring("io.netbuf.".length()))
                .collect(Collectors.toList());
        assertEquals(List.of("Attach", "Checkpoint", "Commit", "Drop", "LimitChange", "Failure", "Drop", "Close"), names);
        for (RecordedEvent e : events) {
            assertEquals(VIF, e.getString("vif"), e.toString());
            assertEquals("ifb0", e.getString("ifb"));
            assertEquals(5, e.getInt("domain"), "from the vif name");
            assertEquals(List.of("netbuf"), e.getEventType().getCategoryNames());
        }
        RecordedEvent checkpoint = events.get(1);
        assertEquals(1, checkpoint.getLong("epoch"));
        assertFalse(checkpoint.getDuration().isNegative());
        RecordedEvent overLimit = events.get(3);
        assertEquals("OVER_LIMIT", overLimit.getString("cause"));
        assertEquals(1, overLimit.getLong("packets"));
        RecordedEvent commit = events.get(2);
        assertEquals(1, commit.getLong("epoch"));
        assertEquals(1, commit.getLong("packets"));
        assertEquals(released, commit.getLong("bytes"), "the one frame released");
        assertFalse(commit.getDuration("checkpointToCommit").isNegative());
        assertEquals(2_000, events.get(4).getLong("limit"));
        assertEquals(1_000, events.get(4).getLong("previous"));
        assertEquals("release_indefinitely", events.get(5).getString("operation"));
        assertEquals("PlugFailedException", events.get(5).getString("exception"));
        assertEquals("PURGED", events.get(6).getString("cause"));
        assertEquals(1, events.get(7).getLong("epochs"));
    }

    @Test
    void withoutARecordingNoEventIsMade() {
        assertFalse(JfrEvents.recording());
        assertEquals(null, JfrEvents.begin(JfrEvents.Call.CHECKPOINT));
    }
}
