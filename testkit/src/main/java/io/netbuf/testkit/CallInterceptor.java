package io.netbuf.testkit;

import io.netbuf.MissingToolException;
import io.netbuf.OperationFailedException;
import io.netbuf.XenstoreException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Stands between the port facades of a {@link FakeHost} and its fakes: logs every port operation,
 * injects faults and simulates missing tools before the operation runs.
 */
final class CallInterceptor {
    /** How many calls the log keeps by default: enough for any test, bounded for long runs. */
    static final int DEFAULT_CALL_LOG_LIMIT = 100_000;

    private final Faults faults = new Faults();
    /** The most recent calls, oldest first; guarded by itself. */
    private final Deque<Entry> calls = new ArrayDeque<>();
    private int callLogLimit = DEFAULT_CALL_LOG_LIMIT;
    private long dropped;

    /** A logged call; its failure is filled in when it throws. */
    private static final class Entry {
        final String operation;
        final List<String> args;
        volatile String failure;

        Entry(String operation, List<String> args) {
            this.operation = operation;
            this.args = args;
        }
    }
    private final Set<String> missingTools = ConcurrentHashMap.newKeySet();

    Faults faults() {
        return faults;
    }

    Set<String> missingTools() {
        return missingTools;
    }

    List<Call> calls() {
        synchronized (calls) {
            List<Call> out = new ArrayList<>(calls.size());
            for (Entry e : calls) {
                out.add(new Call(e.operation, e.args, e.failure));
            }
            return out;
        }
    }

    void clearCalls() {
        synchronized (calls) {
            calls.clear();
            dropped = 0;
        }
    }

    void callLogLimit(int limit) {
        synchronized (calls) {
            callLogLimit = limit;
            trim();
        }
    }

    long droppedCalls() {
        synchronized (calls) {
            return dropped;
        }
    }

    private void trim() {
        while (calls.size() > callLogLimit) {
            calls.removeFirst();
            dropped++;
        }
    }

    /**
     * Runs an operation that returns nothing.
     *
     * @param operation what is called
     * @param args its arguments, logged as text
     * @param body the operation itself
     */
    void run(PortOperation operation, List<?> args, Runnable body) {
        call(operation, args, () -> {
            body.run();
            return null;
        });
    }

    /**
     * Runs an operation that returns a value.
     *
     * @param operation what is called
     * @param args its arguments, logged as text
     * @param body the operation itself
     * @return what the operation returned
     */
    <T> T call(PortOperation operation, List<?> args, Supplier<T> body) {
        List<String> text = new ArrayList<>(args.size());
        for (Object a : args) {
            text.add(String.valueOf(a));
        }
        Entry slot = log(operation.publicName(), text);
        RuntimeException failure = null;
        Faults.Injected injected = faults.check(operation);
        if (injected != null) {
            failure = injected.failure() == null ? defaultFailure(operation.publicName(), text)
                    : injected.failure().get();
        } else {
            String tool = operation.tool();
            if (!tool.isEmpty() && missingTools.contains(tool)) {
                failure = new MissingToolException(tool, PortOperation.TOOL_PACKAGES.get(tool), null, null);
            }
        }
        if (failure != null) {
            fail(slot, failure);
            throw failure;
        }
        try {
            return body.get();
        } catch (RuntimeException e) {
            fail(slot, e);
            throw e;
        }
    }

    /** Logs a call when it starts, so nested calls (inside a xenstore transaction) follow it. */
    private Entry log(String operation, List<String> args) {
        Entry entry = new Entry(operation, List.copyOf(args));
        synchronized (calls) {
            calls.addLast(entry);
            trim();
        }
        return entry;
    }

    private static void fail(Entry slot, RuntimeException failure) {
        slot.failure = failure.getClass().getSimpleName() + ": " + failure.getMessage();
    }

    private static RuntimeException defaultFailure(String operation, List<String> args) {
        if (operation.startsWith("xenstore.")) {
            return new XenstoreException(operation.substring("xenstore.".length()), args.isEmpty() ? null : args.get(0),
                    "EIO", "injected fault", null);
        }
        return OperationFailedException.of(operation, "injected fault", null, null, null);
    }
}
