package io.netbuf.cli;

import io.netbuf.NetworkBuffer;

/**
 * Where the demo runs: a guest whose vif gets a buffer, and the traffic it sends. Implementations:
 * {@link SimulatedGuest} (the testkit's FakeHost) and {@link NamespaceGuest} (the real kernel, in
 * throwaway network namespaces).
 */
interface DemoGuest extends AutoCloseable {
    /** The domain id the demo's guest pretends to be. */
    int DOMID = 1;
    /** The guest's vif (backend name as libxl makes it for domain 1, device 0). */
    String VIF = "vif1.0";
    /** Where libxl would record the buffer of that vif. */
    String XENBUS_PATH = "/libxl/" + DOMID + "/remus/netbuf/0";

    /** @return one line: what this environment is */
    String description();

    /**
     * Attaches the buffer to the guest's vif, recorded at {@link #XENBUS_PATH}.
     *
     * @return the open buffer
     */
    NetworkBuffer attach();

    /**
     * @param path a XenStore path
     * @return its value in the environment's XenStore, or null
     */
    String xenstoreRead(String path);

    /**
     * Starts the guest's traffic; every packet that comes out of the buffer is reported to
     * {@code latency}.
     *
     * @param latency records how long each packet was held
     */
    void startTraffic(LatencyRecorder latency);

    /** Called right after each commit, when the released packets have left the buffer. */
    void afterCommit();

    /** @return packets the guest has sent so far */
    long sent();

    /** Stops the traffic and removes everything this environment created. Idempotent; never throws. */
    @Override
    void close();
}
