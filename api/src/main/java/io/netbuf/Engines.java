package io.netbuf;

import io.netbuf.spi.BufferEngine;
import io.netbuf.spi.Host;
import io.netbuf.spi.HostProvider;
import java.util.Comparator;
import java.util.ServiceLoader;

/** Finds the engine and the default host through {@link ServiceLoader}, once. */
final class Engines {
    private Engines() {
    }

    static BufferEngine engine() {
        return EngineHolder.ENGINE;
    }

    static Host defaultHost() {
        return HostHolder.HOST;
    }

    private static final class EngineHolder {
        static final BufferEngine ENGINE = ServiceLoader.load(BufferEngine.class, Engines.class.getClassLoader())
                .findFirst()
                .orElseThrow(() -> new IllegalStateException(
                        "no netbuf engine found: add io.netbuf:netbuf-impl to the class path"));
    }

    private static final class HostHolder {
        static final Host HOST = ServiceLoader.load(HostProvider.class, Engines.class.getClassLoader()).stream()
                .map(ServiceLoader.Provider::get)
                .max(Comparator.comparingInt(HostProvider::priority))
                .orElseThrow(() -> new IllegalStateException(
                        "no netbuf host found: add io.netbuf:netbuf-impl to the class path, or pass .on(host)"))
                .create();
    }
}
