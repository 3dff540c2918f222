package io.netbuf;

import io.netbuf.event.BufferListener;
import io.netbuf.event.Committed;
import io.netbuf.spi.BufferSpec;
import io.netbuf.spi.Host;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * Output buffering for one guest vif: its egress traffic is redirected into an IFB whose plug
 * qdisc holds it until the checkpoint that produced it is committed.
 *
 * <pre>{@code
 * try (NetworkBuffer buffer = NetworkBuffer.forVif("vif5.0")
 *         .xenbusPath("/libxl/5/remus/netbuf/0")
 *         .attach()) {
 *     buffer.checkpoint();   // guest suspended: close the epoch
 *     buffer.commit();       // backup acknowledged: release it
 * }
 * }</pre>
 *
 * <p>Epochs: the kernel tracks a single closed, unreleased epoch, so {@link #checkpoint()} may
 * not be called again before {@link #commit()} (it throws {@link IllegalStateException} instead of
 * stranding packets), and {@link #commit()} needs a preceding {@link #checkpoint()}.
 * Implementations are thread-safe.
 */
public interface NetworkBuffer extends AutoCloseable {
    /** Default plug limit in bytes (as libxl's script uses). */
    long DEFAULT_LIMIT = 10_000_000L;
    /** Default longest wait for the host lock. */
    Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(30);

    /**
     * Starts configuring a buffer for a vif. The name is checked at once.
     *
     * @param vif the guest's vif, e.g. {@code vif5.0}
     * @return a builder
     * @throws InvalidConfigurationException if the name is not a valid interface name
     */
    static Builder forVif(String vif) {
        return new Builder(vif);
    }

    /**
     * Groups open buffers (typically all vifs of one domain) to checkpoint and commit together.
     *
     * @param members open buffers attached (or adopted) on one host, each once
     * @return the group
     * @throws InvalidConfigurationException if the list is null or empty, or a member is null,
     *     closed, given twice, not made by {@code attach()}/{@code adopt()}, or on another host
     */
    static BufferGroup group(List<NetworkBuffer> members) {
        if (members == null || members.isEmpty()) {
            throw InvalidConfigurationException.of("group", members, "needs at least one buffer");
        }
        // a copy that keeps nulls: the engine refuses each bad member with its index
        return Engines.engine().group(Collections.unmodifiableList(new ArrayList<>(members)));
    }

    /**
     * Looks for what earlier buffers left behind on {@code host}: claims of domains that no longer
     * exist, claims and redirects whose IFB has no plug, plugs that nobody claims or redirects to.
     * Changes nothing; {@link ReapReport#apply()} removes what was found. Live buffers are never
     * reported.
     *
     * @param host the host to scan (e.g. {@code SystemHost} or a testkit {@code FakeHost})
     * @return the findings
     * @throws LockTimeoutException if the host lock is not granted within {@link #DEFAULT_LOCK_TIMEOUT}
     */
    static ReapReport reap(Host host) {
        if (host == null) {
            throw InvalidConfigurationException.of("host", null, "must not be null");
        }
        return Engines.engine().reap(host);
    }

    /** @return the vif whose output is buffered */
    String vif();

    /** @return the IFB device holding the output */
    String ifb();

    /** @return the plug's byte limit */
    long limit();

    /** @return where the claim is recorded in XenStore, if anywhere */
    Optional<String> xenbusPath();

    /**
     * Closes the current epoch (plug BUFFER): output produced from now on belongs to the next one.
     *
     * @throws IllegalStateException if the previous checkpoint was not committed, or the buffer is closed
     * @throws PlugFailedException if the kernel refused
     */
    void checkpoint();

    /**
     * Releases the closed epoch (plug RELEASE_ONE): its packets leave, in order.
     *
     * @throws IllegalStateException if there is no closed epoch, or the buffer is closed
     * @throws PlugFailedException if the kernel refused
     */
    void commit();

    /**
     * Releases everything held and lets traffic through until the next {@link #checkpoint()}
     * (plug RELEASE_INDEFINITE); for failover.
     *
     * @throws IllegalStateException if the buffer is closed
     * @throws PlugFailedException if the kernel refused
     */
    void releaseIndefinitely();

    /**
     * Changes the plug's byte limit (plug LIMIT).
     *
     * @param bytes 1..4294967295
     */
    void changeLimit(long bytes);

    /** @return what the kernel reports for the plug now */
    BufferStats stats();

    /**
     * What the last commit of this handle released: the epoch, the packets and bytes the plug let
     * out (from the kernel's counters, see {@link Committed}) and how long the epoch was closed.
     * The counters are read by this call (once per commit), not by the commit: a controller that
     * wants every epoch's figures calls it after each commit, or registers a listener.
     *
     * @return the last commit, or empty before the first (a group's commits count too)
     */
    Optional<Committed> lastCommit();

    /**
     * Registers a listener told of this buffer's events from now on (see {@link BufferListener}
     * for how they are delivered). Registering the same listener twice has no effect.
     *
     * @param listener the listener
     * @throws InvalidConfigurationException if {@code listener} is null
     */
    void addListener(BufferListener listener);

    /**
     * Stops telling {@code listener} of this buffer's events (events already queued may still arrive).
     *
     * @param listener a registered listener
     * @return whether it was registered
     */
    boolean removeListener(BufferListener listener);

    /** @return whether {@link #close()} has been called */
    boolean isClosed();

    /**
     * Where the plug stands, as this handle last saw the kernel accept an action: {@code OPEN}
     * after attach, adopt or commit, {@code CLOSED_EPOCH} after a checkpoint, {@code
     * RELEASED_INDEFINITELY} after {@link #releaseIndefinitely()}, {@code CLOSED} after close. A
     * refused action leaves it unchanged.
     *
     * @return the epoch state
     */
    EpochState epochState();

    /**
     * Tears the buffer down: drops what is held, removes the redirect and the plug, frees the
     * IFB and its XenStore claim. Idempotent.
     */
    @Override
    void close();

    /** Fluent configuration of a buffer; each setter checks its value at once. */
    final class Builder {
        private final String vif;
        private long limit = DEFAULT_LIMIT;
        private String xenbusPath;
        private Protocols protocols = Protocols.ALL;
        private Duration lockTimeout = DEFAULT_LOCK_TIMEOUT;
        private boolean createIfb = true;
        private long ownerPid;
        private Host host;
        private final List<BufferListener> listeners = new ArrayList<>();

        Builder(String vif) {
            this.vif = Validate.vif(vif);
        }

        /**
         * @param bytes how much the plug may hold before it drops (default 10,000,000)
         * @return this
         */
        public Builder limit(long bytes) {
            this.limit = Validate.limit(bytes);
            return this;
        }

        /**
         * @param path where the IFB claim and hotplug status are recorded, e.g.
         *     {@code /libxl/5/remus/netbuf/0}; checked with {@link Validate#xenbusPath(String)}
         *     (its children such as {@code /hotplug-status} must fit XenStore's limit too)
         * @return this
         */
        public Builder xenbusPath(String path) {
            this.xenbusPath = Validate.xenbusPath(path);
            return this;
        }

        /**
         * @param protocols which traffic to buffer (default {@link Protocols#ALL})
         * @return this
         */
        public Builder protocols(Protocols protocols) {
            if (protocols == null) {
                throw InvalidConfigurationException.of("protocols", null, "must not be null");
            }
            this.protocols = protocols;
            return this;
        }

        /**
         * @param timeout the longest wait for the host lock (default 30 s)
         * @return this
         */
        public Builder lockTimeout(Duration timeout) {
            this.lockTimeout = Validate.lockTimeout(timeout);
            return this;
        }

        /**
         * @param allowed whether netbuf may create an IFB when none is free (default true)
         * @return this
         */
        public Builder createIfbWhenNoneFree(boolean allowed) {
            this.createIfb = allowed;
            return this;
        }

        /**
         * Names the process that drives the plug once {@link #attach()} or {@link #adopt()} returns,
         * when it is not the calling one: a hotplug script that exits at once passes the pid of the
         * toolstack that forked it. It is recorded beside the claim (only with a xenbus path), so
         * that {@link NetworkBuffer#reap(Host)} can tell a buffer whose driver died from one in use.
         *
         * @param pid a process id in this process's pid namespace; 0 (the default) for this process
         * @return this
         */
        public Builder ownerPid(long pid) {
            this.ownerPid = Validate.ownerPid(pid);
            return this;
        }

        /**
         * Registers a listener on the buffer this builder attaches or adopts, so that it is told of
         * the attach too (see {@link BufferListener}); may be called more than once.
         *
         * @param listener the listener
         * @return this
         */
        public Builder listener(BufferListener listener) {
            if (listener == null) {
                throw InvalidConfigurationException.of("listener", null, "must not be null");
            }
            if (!listeners.contains(listener)) {
                listeners.add(listener);
            }
            return this;
        }

        /**
         * @param host the host to act on (default: the machine, through netbuf-impl)
         * @return this
         */
        public Builder on(Host host) {
            if (host == null) {
                throw InvalidConfigurationException.of("host", null, "must not be null");
            }
            this.host = host;
            return this;
        }

        /**
         * Installs the buffer. On failure nothing is left behind on the host.
         *
         * @return the open buffer
         * @throws NetworkBufferException the typed cause
         */
        public NetworkBuffer attach() {
            return Engines.engine().attach(spec(), host());
        }

        /**
         * Takes over a buffer left by a previous run (of this controller or of Xen's script). The
         * IFB is the one the xenbus record claims or, without a xenbus path, the one the vif
         * redirects to. The host must match: the vif exists and its ingress redirects to that IFB
         * only, the IFB exists, is up and has a root plug. The plug's limit is then set to this
         * builder's limit, and nothing else changes.
         *
         * <p>The kernel does not report whether a closed epoch awaits release, so the handle
         * starts as after a commit: buffering, no closed epoch. If the previous run may have died
         * between {@link NetworkBuffer#checkpoint()} and {@link NetworkBuffer#commit()}, decide
         * that epoch's fate first: {@link NetworkBuffer#releaseIndefinitely()} if the backup holds
         * the checkpoint, {@link NetworkBuffer#close()} to drop it. {@code close()} frees the IFB
         * but never deletes it (this handle did not create it).
         *
         * <p>A buffer that a live (not closed) handle in this JVM already drives is refused: two
         * handles would each track their own epochs.
         *
         * @return the open buffer
         * @throws BufferStateMismatchException if the host does not match the record
         * @throws BufferInUseException if a live handle in this JVM owns the vif or the IFB
         * @throws NetworkBufferException the typed cause of another failure
         */
        public NetworkBuffer adopt() {
            return Engines.engine().adopt(spec(), host());
        }

        /**
         * Tears down a buffer this process did not attach (e.g. left by a previous run, or by
         * Xen's script). The IFB is freed only when the xenbus record names it; the vif's ingress
         * redirect and the hotplug status are always removed. Idempotent.
         *
         * @param ifb the IFB the buffer is believed to use, or null when unknown
         */
        public void teardown(String ifb) {
            if (ifb != null) {
                Validate.ifb(ifb);
            }
            Engines.engine().teardown(spec(), ifb, host());
        }

        /** @return the validated configuration this builder describes */
        public BufferSpec spec() {
            return new BufferSpec(vif, limit, xenbusPath, protocols, lockTimeout, createIfb, listeners, ownerPid);
        }

        private Host host() {
            return host != null ? host : Engines.defaultHost();
        }
    }
}
