package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.Xenstore;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Picks the XenStore backend: the native client where it can connect, else the tools. */
public final class XenstoreBackends {
    private static final Logger LOG = LoggerFactory.getLogger(XenstoreBackends.class);

    /** Which backend to use. */
    public enum Mode {
        /** The native client if it can connect, else the tools. */
        AUTO,
        /** Only the native client; failing to connect is an error. */
        NATIVE,
        /** Only the {@code xenstore-*} tools. */
        TOOLS
    }

    private XenstoreBackends() {
    }

    /**
     * Opens a backend with this process's environment.
     *
     * @param mode which backend
     * @param timeout the longest wait for one request (reply or tool run)
     * @return the backend; close it with {@link #closeQuietly(Xenstore)} when done
     * @throws XenstoreException EIO when {@code NATIVE} is forced and no endpoint can be opened
     */
    public static Xenstore open(Mode mode, Duration timeout) {
        return open(mode, System.getenv(), timeout);
    }

    /**
     * Opens a backend.
     *
     * @param mode which backend
     * @param environment where {@code XENSTORED_PATH} is read from, and the tools' environment
     * @param timeout the longest wait for one request (reply or tool run)
     * @return the backend
     * @throws XenstoreException EIO when {@code NATIVE} is forced and no endpoint can be opened
     */
    public static Xenstore open(Mode mode, Map<String, String> environment, Duration timeout) {
        switch (mode) {
            case NATIVE:
                return XenstoreClient.connect(XenstoreTransport.candidates(environment), timeout);
            case TOOLS:
                return new XenstoreTools(new CommandRunner(timeout, environment));
            default:
                try {
                    return XenstoreClient.connect(XenstoreTransport.candidates(environment), timeout);
                } catch (XenstoreException e) {
                    LOG.info("native xenstore client cannot connect ({}); using the xenstore-* tools", e.getMessage());
                    return new XenstoreTools(new CommandRunner(timeout, environment));
                }
        }
    }

    /**
     * @param environment where {@code XENSTORED_PATH} is read from
     * @return whether any xenstored endpoint (socket or device) exists on this host
     */
    public static boolean endpointExists(Map<String, String> environment) {
        return XenstoreTransport.candidates(environment).stream().anyMatch(java.nio.file.Files::exists);
    }

    /**
     * Releases a backend from {@link #open}: closes the native client's connection.
     *
     * @param xenstore the backend
     */
    public static void closeQuietly(Xenstore xenstore) {
        if (xenstore instanceof XenstoreClient client) {
            client.close();
        }
    }
}
