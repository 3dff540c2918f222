package io.netbuf.impl.jfr;

import io.netbuf.event.Attached;
import io.netbuf.event.BufferEvent;
import io.netbuf.event.BufferId;
import io.netbuf.event.Checkpointed;
import io.netbuf.event.Closed;
import io.netbuf.event.Committed;
import io.netbuf.event.Dropped;
import io.netbuf.event.Failed;
import io.netbuf.event.LimitChanged;
import io.netbuf.event.ReleasedIndefinitely;
import jdk.jfr.FlightRecorder;
import jdk.jfr.FlightRecorderListener;
import jdk.jfr.Recording;
import jdk.jfr.RecordingState;

/**
 * netbuf's Flight Recorder events ({@code io.netbuf.Checkpoint}, {@code io.netbuf.Commit},
 * {@code io.netbuf.ReleaseIndefinitely}, {@code io.netbuf.LimitChange}, {@code io.netbuf.Attach},
 * {@code io.netbuf.Close}, {@code io.netbuf.Drop}, {@code io.netbuf.Failure}, category "netbuf").
 * While no recording runs, {@link #recording()} is false and the engine creates no event at all;
 * {@code jcmd <pid> JFR.start} turns them on. A plug action's event lasts as long as its call to the
 * kernel: {@link #begin(Call)} before the call, {@link #end(Object)} right after, {@link
 * #commit(Object, BufferEvent)} once the outcome is known.
 */
public final class JfrEvents {
    private static volatile boolean recording;

    static {
        try {
            FlightRecorder.addListener(new FlightRecorderListener() {
                @Override
                public void recorderInitialized(FlightRecorder recorder) {
                    refresh();
                }

                @Override
                public void recordingStateChanged(Recording changed) {
                    refresh();
                }
            });
            refresh();
        } catch (RuntimeException | LinkageError e) {
            recording = false; // a JVM without Flight Recorder: no events
        }
    }

    private JfrEvents() {
    }

    private static void refresh() {
        boolean any = false;
        if (FlightRecorder.isInitialized()) {
            for (Recording r : FlightRecorder.getFlightRecorder().getRecordings()) {
                any |= r.getState() == RecordingState.RUNNING;
            }
        }
        recording = any;
    }

    /** @return whether a Flight Recorder recording is running, so that events are worth creating */
    public static boolean recording() {
        return recording;
    }

    /** The plug actions whose calls are timed. */
    public enum Call {
        /** plug BUFFER */
        CHECKPOINT,
        /** plug RELEASE_ONE */
        COMMIT,
        /** plug RELEASE_INDEFINITE */
        RELEASE_INDEFINITELY,
        /** plug LIMIT */
        LIMIT
    }

    /**
     * Starts timing a plug call.
     *
     * @param call which action
     * @return the begun event, or null when no recording runs
     */
    public static Object begin(Call call) {
        if (!recording) {
            return null;
        }
        PlugCallEvent event;
        switch (call) {
            case CHECKPOINT:
                event = new CheckpointEvent();
                break;
            case COMMIT:
                event = new CommitEvent();
                break;
            case RELEASE_INDEFINITELY:
                event = new ReleaseIndefinitelyEvent();
                break;
            default:
                event = new LimitChangeEvent();
        }
        event.begin();
        return event;
    }

    /**
     * Ends the timing of a plug call (the kernel answered).
     *
     * @param begun what {@link #begin(Call)} returned (null: nothing)
     */
    public static void end(Object begun) {
        if (begun != null) {
            ((PlugCallEvent) begun).end();
        }
    }

    /**
     * Records a begun plug call with the outcome's figures.
     *
     * @param begun what {@link #begin(Call)} returned (null: nothing)
     * @param outcome the event the listeners get for it
     */
    public static void commit(Object begun, BufferEvent outcome) {
        if (!(begun instanceof PlugCallEvent)) {
            return;
        }
        PlugCallEvent event = (PlugCallEvent) begun;
        if (!event.shouldCommit()) {
            return;
        }
        identify(event, outcome.buffer());
        if (event instanceof CommitEvent && outcome instanceof Committed) {
            Committed c = (Committed) outcome;
            CommitEvent commit = (CommitEvent) event;
            commit.epoch = c.epoch();
            commit.packets = c.packets();
            commit.bytes = c.bytes();
            commit.checkpointToCommit = c.checkpointToCommit().toNanos();
        } else if (outcome instanceof Checkpointed) {
            event.epoch = ((Checkpointed) outcome).epoch();
        } else if (outcome instanceof ReleasedIndefinitely) {
            event.epoch = ((ReleasedIndefinitely) outcome).epoch();
        } else if (event instanceof LimitChangeEvent && outcome instanceof LimitChanged) {
            LimitChanged l = (LimitChanged) outcome;
            ((LimitChangeEvent) event).previous = l.previousBytes();
            ((LimitChangeEvent) event).limit = l.limitBytes();
        }
        event.commit();
    }

    /**
     * Records an event that has no duration (attach, close, drop, failure); does nothing while no
     * recording runs or for a plug action (those go through {@link #begin(Call)}).
     *
     * @param outcome the event the listeners get
     */
    public static void instant(BufferEvent outcome) {
        if (!recording) {
            return;
        }
        BufferJfrEvent event;
        if (outcome instanceof Attached) {
            AttachEvent e = new AttachEvent();
            e.limit = ((Attached) outcome).limitBytes();
            e.adopted = ((Attached) outcome).adopted();
            event = e;
        } else if (outcome instanceof Closed) {
            CloseEvent e = new CloseEvent();
            e.epochs = ((Closed) outcome).epochs();
            event = e;
        } else if (outcome instanceof Dropped) {
            Dropped d = (Dropped) outcome;
            DropEvent e = new DropEvent();
            e.cause = d.cause().name();
            e.packets = d.packets();
            e.bytes = d.bytes();
            event = e;
        } else if (outcome instanceof Failed) {
            Failed f = (Failed) outcome;
            FailureEvent e = new FailureEvent();
            e.operation = f.operation();
            e.exception = f.failure().getClass().getSimpleName();
            e.message = f.failure().getMessage();
            event = e;
        } else {
            return;
        }
        if (event.shouldCommit()) {
            identify(event, outcome.buffer());
            event.commit();
        }
    }

    private static void identify(BufferJfrEvent event, BufferId id) {
        event.vif = id.vif();
        event.ifb = id.ifb();
        event.domain = id.domain().orElse(-1);
    }
}
