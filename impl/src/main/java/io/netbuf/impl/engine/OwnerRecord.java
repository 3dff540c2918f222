package io.netbuf.impl.engine;

import io.netbuf.InvalidConfigurationException;
import io.netbuf.spi.BufferSpec;
import io.netbuf.spi.Host;
import io.netbuf.spi.ProcessIdentity;
import io.netbuf.spi.XenstoreOps;
import java.util.Arrays;
import java.util.Optional;

/**
 * netbuf's own node beside a claim, {@code <xenbus path>/netbuf-owner}: the process that drives the
 * buffer's plug ({@link ProcessIdentity#encode()}) and, as {@code ifb=created}, whether netbuf created
 * the IFB for it. Written with the claim (attach) or when a new owner takes the buffer over (adopt),
 * removed with the claim. libxl reads only {@code ifb} and {@code hotplug-error} there and removes
 * the whole {@code /libxl/<domid>} when the domain is destroyed, so the node neither confuses it nor
 * outlives the domain. A claim without it (Xen's own script, an older netbuf) has an unknown owner.
 *
 * @param process the owner
 * @param createdIfb whether netbuf created the IFB (then its teardown deletes the device)
 */
record OwnerRecord(ProcessIdentity process, boolean createdIfb) {
    /** The node, relative to the xenbus path. */
    static final String NODE = "/netbuf-owner";
    private static final String CREATED = "ifb=created";

    /** @return the stored text */
    String encode() {
        return process.encode() + (createdIfb ? " " + CREATED : "");
    }

    /**
     * @param text the stored text
     * @return the record, or empty when the text holds no whole process identity
     */
    static Optional<OwnerRecord> parse(String text) {
        boolean created = Arrays.asList(text.trim().split("\\s+")).contains(CREATED);
        return ProcessIdentity.parse(text).map(p -> new OwnerRecord(p, created));
    }

    /**
     * The owner a buffer of {@code spec} gets: the process it names, else this process. Resolved
     * before anything on the host changes.
     *
     * @param host the host
     * @param spec the buffer's configuration
     * @return the owner; empty without a xenbus path (no claim to record it beside) or on a host
     *     that cannot see processes
     * @throws InvalidConfigurationException if the spec names a process that does not exist
     */
    static Optional<ProcessIdentity> ownerOf(Host host, BufferSpec spec) {
        if (spec.xenbusPath() == null) {
            return Optional.empty();
        }
        Optional<ProcessIdentity> self = host.processes().self();
        if (spec.ownerPid() == 0 || self.isEmpty()) {
            return self;
        }
        return Optional.of(host.processes().identify(spec.ownerPid()).orElseThrow(() -> InvalidConfigurationException
                .of("owner pid", spec.ownerPid(), "no such process (it must drive the buffer once attached)")));
    }

    /**
     * Writes the record beside the claim at {@code path}.
     *
     * @param ops the store (a transaction, or under the host lock)
     * @param path the xenbus path
     * @param owner the owner, or empty to write nothing
     * @param createdIfb whether netbuf created the IFB
     */
    static void write(XenstoreOps ops, String path, Optional<ProcessIdentity> owner, boolean createdIfb) {
        owner.ifPresent(p -> ops.write(path + NODE, new OwnerRecord(p, createdIfb).encode()));
    }
}
