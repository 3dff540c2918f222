package io.netbuf.testkit;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Fault injection for a {@link FakeHost}: makes chosen port operations throw instead of running.
 * An injected failure happens before the operation touches the fake kernel or xenstore, so the
 * host is unchanged by it. Operation names are {@code "<port>.<method>"}, one for every method of
 * the host ports (e.g. {@code trafficControl.addPlug}, {@code xenstore.write}, {@code lock.acquire});
 * {@link FakeHost#operations()} lists them all. Operations inside a xenstore transaction are
 * counted under their own names too.
 *
 * <p>Without an explicit exception the failure is an {@link io.netbuf.OperationFailedException}
 * (a {@link io.netbuf.XenstoreException} with errno {@code EIO} for xenstore operations).
 * Thread-safe.
 */
public final class Faults {
    private final List<Rule> rules = new ArrayList<>();

    /** One armed fault. */
    private static final class Rule {
        final PortOperation operation;
        final int nth;
        final Supplier<? extends RuntimeException> failure;
        int seen;

        Rule(PortOperation operation, int nth, Supplier<? extends RuntimeException> failure) {
            this.operation = operation;
            this.nth = nth;
            this.failure = failure;
        }
    }

    Faults() {
    }

    /**
     * Makes every call of one operation fail with the default exception.
     *
     * @param operation e.g. {@code "trafficControl.addPlug"}
     * @return this
     */
    public Faults failOn(String operation) {
        return add(checkName(operation), 0, null);
    }

    /**
     * Makes every call of one operation fail.
     *
     * @param operation e.g. {@code "trafficControl.addPlug"}
     * @param failure makes the exception to throw (called once per failure)
     * @return this
     */
    public Faults failOn(String operation, Supplier<? extends RuntimeException> failure) {
        return add(checkName(operation), 0, Objects.requireNonNull(failure, "failure"));
    }

    /**
     * Makes the {@code n}th port operation from now (of any kind, counting from 1) fail once with
     * the default exception.
     *
     * @param n which call
     * @return this
     */
    public Faults failNth(int n) {
        return add(null, checkN(n), null);
    }

    /**
     * Makes the {@code n}th port operation from now (of any kind) fail once.
     *
     * @param n which call, counting from 1
     * @param failure makes the exception to throw
     * @return this
     */
    public Faults failNth(int n, Supplier<? extends RuntimeException> failure) {
        return add(null, checkN(n), Objects.requireNonNull(failure, "failure"));
    }

    /**
     * Makes the {@code n}th call of one operation from now fail once with the default exception.
     *
     * @param operation e.g. {@code "xenstore.write"}
     * @param n which call of it, counting from 1
     * @return this
     */
    public Faults failNth(String operation, int n) {
        return add(checkName(operation), checkN(n), null);
    }

    /**
     * Makes the {@code n}th call of one operation from now fail once.
     *
     * @param operation e.g. {@code "xenstore.write"}
     * @param n which call of it, counting from 1
     * @param failure makes the exception to throw
     * @return this
     */
    public Faults failNth(String operation, int n, Supplier<? extends RuntimeException> failure) {
        return add(checkName(operation), checkN(n), Objects.requireNonNull(failure, "failure"));
    }

    /**
     * Disarms every fault.
     *
     * @return this
     */
    public synchronized Faults clear() {
        rules.clear();
        return this;
    }

    /**
     * Counts a call against every armed fault and says whether it must fail.
     *
     * @param operation the operation being called
     * @return the supplier of the exception to throw (null entry for the default), or null when the call proceeds
     */
    synchronized Injected check(PortOperation operation) {
        Injected hit = null;
        for (Rule rule : rules) {
            if (rule.operation != null && rule.operation != operation) {
                continue;
            }
            rule.seen++;
            if (hit == null && (rule.nth == 0 || rule.seen == rule.nth)) {
                hit = new Injected(rule.failure);
            }
        }
        return hit;
    }

    /** A fault that fired; {@code failure} is null for the default exception. */
    record Injected(Supplier<? extends RuntimeException> failure) {
    }

    private synchronized Faults add(PortOperation operation, int nth, Supplier<? extends RuntimeException> failure) {
        rules.add(new Rule(operation, nth, failure));
        return this;
    }

    private static PortOperation checkName(String operation) {
        return PortOperation.named(operation).orElseThrow(() -> new IllegalArgumentException(
                "unknown port operation '" + operation + "'; known: " + PortOperation.publicNames()));
    }

    private static int checkN(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n counts from 1: " + n);
        }
        return n;
    }
}
