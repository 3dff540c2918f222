package io.netbuf.spi;

/**
 * Supplies the default {@link Host} (the machine netbuf runs on). Found with
 * {@link java.util.ServiceLoader}; the provider with the highest {@link #priority()} wins.
 */
public interface HostProvider {
    /** @return the host; called once per JVM and cached by the caller */
    Host create();

    /** @return higher wins when several providers are present */
    default int priority() {
        return 0;
    }
}
