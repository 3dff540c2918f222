package io.netbuf.impl.engine;

import io.netbuf.NetworkBufferException;
import java.util.ArrayList;
import java.util.List;

/**
 * The failures of a run of steps that must all be tried (teardown, reap, closing a group): the
 * first is thrown at the end, the others attached to it as suppressed.
 */
final class Failures {
    private final List<NetworkBufferException> seen = new ArrayList<>();

    /** @param failure a step's failure */
    void add(NetworkBufferException failure) {
        seen.add(failure);
    }

    /**
     * Makes {@code failure} the one thrown, the others suppressed in it.
     *
     * @param failure the failure that sums the run up
     */
    void lead(NetworkBufferException failure) {
        seen.add(0, failure);
    }

    /** @return the first failure recorded, or null */
    NetworkBufferException first() {
        return seen.isEmpty() ? null : seen.get(0);
    }

    /** @return how many steps failed */
    int count() {
        return seen.size();
    }

    /** Throws the first failure, with the others suppressed in it, if any step failed. */
    void throwIfAny() {
        if (seen.isEmpty()) {
            return;
        }
        NetworkBufferException first = seen.get(0);
        seen.subList(1, seen.size()).stream().filter(e -> e != first.getCause()).forEach(first::addSuppressed);
        throw first;
    }
}
