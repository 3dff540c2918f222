package io.netbuf.impl.engine;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.netbuf.event.Attached;
import io.netbuf.event.BufferEvent;
import io.netbuf.event.BufferListener;
import io.netbuf.event.Checkpointed;
import io.netbuf.event.Closed;
import io.netbuf.event.Committed;
import io.netbuf.event.Dropped;
import io.netbuf.event.Failed;
import io.netbuf.event.LimitChanged;
import io.netbuf.event.ReleasedIndefinitely;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A listener that keeps every event it is told of, for tests to wait for. Thread-safe. */
final class RecordingListener implements BufferListener {
    private final LinkedBlockingQueue<BufferEvent> events = new LinkedBlockingQueue<>();

    @Override
    public void onAttach(Attached event) {
        events.add(event);
    }

    @Override
    public void onCheckpoint(Checkpointed event) {
        events.add(event);
    }

    @Override
    public void onCommit(Committed event) {
        events.add(event);
    }

    @Override
    public void onReleaseIndefinitely(ReleasedIndefinitely event) {
        events.add(event);
    }

    @Override
    public void onLimitChange(LimitChanged event) {
        events.add(event);
    }

    @Override
    public void onDrop(Dropped event) {
        events.add(event);
    }

    @Override
    public void onClose(Closed event) {
        events.add(event);
    }

    @Override
    public void onFailure(Failed event) {
        events.add(event);
    }

    /** @return the next {@code count} events, waiting up to 10 s for each */
    List<BufferEvent> take(int count) throws InterruptedException {
        List<BufferEvent> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            BufferEvent e = events.poll(10, TimeUnit.SECONDS);
            assertNotNull(e, "event " + (i + 1) + " of " + count + " did not arrive; got " + out);
            out.add(e);
        }
        return out;
    }

    /** @return the next event, which must be of {@code type} */
    <T extends BufferEvent> T next(Class<T> type) throws InterruptedException {
        return assertInstanceOf(type, take(1).get(0));
    }

    /** @return events not taken yet, after waiting {@code millis} for late ones */
    List<BufferEvent> rest(long millis) throws InterruptedException {
        Thread.sleep(millis);
        List<BufferEvent> out = new ArrayList<>();
        events.drainTo(out);
        return out;
    }
}
