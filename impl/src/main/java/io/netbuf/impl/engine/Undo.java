package io.netbuf.impl.engine;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The steps an attach has done so far, undone in reverse order when a later step fails. */
final class Undo {
    private static final Logger LOG = LoggerFactory.getLogger(Undo.class);

    private final Deque<Step> steps = new ArrayDeque<>();

    /** One reversible step. */
    interface Action {
        void run();
    }

    private record Step(String name, Action action) {
    }

    /**
     * Records how to reverse a step that just succeeded.
     *
     * @param name what the reversal does, for logs
     * @param action the reversal
     */
    void push(String name, Action action) {
        steps.push(new Step(name, action));
    }

    /**
     * Runs every recorded reversal, newest first; each failure is logged and attached to
     * {@code failure} as suppressed, and the rest still run.
     *
     * @param failure the exception that caused the rollback
     */
    void rollback(Throwable failure) {
        while (!steps.isEmpty()) {
            Step step = steps.pop();
            try {
                step.action().run();
                LOG.debug("rolled back: {}", step.name());
            } catch (RuntimeException e) {
                LOG.error("rollback step '{}' failed; the host may need 'reap': {}", step.name(), e.toString());
                failure.addSuppressed(e);
            }
        }
    }
}
