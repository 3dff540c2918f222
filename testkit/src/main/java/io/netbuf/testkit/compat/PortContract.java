package io.netbuf.testkit.compat;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netbuf.OperationFailedException;
import io.netbuf.spi.Host;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.function.Executable;

/**
 * Base of the compatibility kit's contract classes: opens a fresh {@link HostFixture} before each
 * test and closes it after. A backend's test class extends a contract and implements
 * {@link #createFixture()}.
 */
public abstract class PortContract {
    /** A vif name the kit uses. */
    protected static final String VIF = "vif7.0";
    /** An IFB name the kit uses. */
    protected static final String IFB = "ifb70";
    /** A second IFB name the kit uses. */
    protected static final String IFB2 = "ifb71";
    /** A name no link has. */
    protected static final String MISSING = "nbmissing0";

    /** {@code ENOENT}. */
    protected static final int ENOENT = 2;
    /** {@code EEXIST}. */
    protected static final int EEXIST = 17;
    /** {@code ENODEV}. */
    protected static final int ENODEV = 19;
    /** {@code EINVAL}. */
    protected static final int EINVAL = 22;

    private HostFixture fixture;

    /** For subclasses. */
    protected PortContract() {
    }

    /** @return a new fixture for one test (with a host that has no links the kit's names collide with) */
    protected abstract HostFixture createFixture();

    /** Opens the fixture. */
    @BeforeEach
    final void openFixture() {
        fixture = createFixture();
    }

    /** Closes the fixture. */
    @AfterEach
    final void closeFixture() {
        if (fixture != null) {
            fixture.close();
            fixture = null;
        }
    }

    /** @return the current test's fixture */
    protected final HostFixture fixture() {
        return fixture;
    }

    /** @return the current test's host */
    protected final Host host() {
        return fixture.host();
    }

    /**
     * Asserts that an operation is refused with an {@link OperationFailedException}. When the backend
     * reports an errno (netlink, the fake) it must be one of {@code errnos}; a tools backend reports
     * the tool's exit code and stderr instead, which must then be present.
     *
     * @param op the operation
     * @param errnos the errno values a real kernel answers with
     * @return the exception
     */
    protected static OperationFailedException assertRefused(Executable op, int... errnos) {
        OperationFailedException e = assertThrows(OperationFailedException.class, op);
        if (e.errno().isPresent()) {
            int errno = e.errno().get();
            assertTrue(Arrays.stream(errnos).anyMatch(n -> n == errno),
                    "errno " + errno + " is not one of " + Arrays.toString(errnos) + ": " + e.getMessage());
        } else {
            assertTrue(e.exitCode().isPresent() || e.getCause() != null,
                    "a refusal without errno must carry the tool's exit code or a cause: " + e.getMessage());
            if (e.exitCode().isPresent()) {
                assertTrue(e.exitCode().get() != 0, "a tool that refused must have exited non-zero");
            }
        }
        return e;
    }
}
