package io.netbuf.impl.host;

import io.netbuf.spi.Host;
import io.netbuf.spi.HostProvider;

/**
 * Registers {@link SystemHost} as the default host (configured by the system properties
 * {@code netbuf.backend} and {@code netbuf.xenstore}).
 */
public final class SystemHostProvider implements HostProvider {
    /** Created by {@link java.util.ServiceLoader}. */
    public SystemHostProvider() {
    }

    @Override
    public Host create() {
        return SystemHost.fromSystemProperties().build();
    }
}
