package io.netbuf.impl.features;

import io.netbuf.OperationFailedException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.KernelFeature;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes kernel features by using them in a throwaway network namespace (created with
 * {@code ip netns add} under a unique name and always deleted): an IFB device, an ingress qdisc
 * on {@code lo}, a u32 filter under it, a mirred redirect action, a plug qdisc. The kernel loads
 * a missing module on demand where it can, so a feature that works here works for netbuf. Needs
 * root and iproute2. Thread-safe.
 */
public final class NamespaceProbe implements HostKernelFeatures.Probe {
    private static final Logger LOG = LoggerFactory.getLogger(NamespaceProbe.class);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String PACKAGE = "iproute2";

    private final CommandRunner runner;

    /** @param runner runs {@code ip} and {@code tc} */
    public NamespaceProbe(CommandRunner runner) {
        this.runner = Objects.requireNonNull(runner, "runner");
    }

    @Override
    public Set<KernelFeature> present(Set<KernelFeature> candidates) {
        Set<KernelFeature> present = EnumSet.noneOf(KernelFeature.class);
        if (candidates.isEmpty()) {
            return present;
        }
        String ns = "nbfeat-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        runner.check(PACKAGE, "create a network namespace to probe kernel features",
                List.of("ip", "netns", "add", ns));
        try {
            boolean ingress = false;
            if (candidates.contains(KernelFeature.INGRESS) || candidates.contains(KernelFeature.U32)) {
                ingress = works(ns, "tc", "qdisc", "add", "dev", "lo", "ingress");
                if (ingress) {
                    present.add(KernelFeature.INGRESS);
                }
            }
            for (KernelFeature feature : candidates) {
                switch (feature) {
                    case IFB:
                        addIf(present, feature, works(ns, "ip", "link", "add", "nbprobe0", "type", "ifb"));
                        break;
                    case U32:
                        // A u32 filter needs a qdisc to hang on; without ingress it cannot be tried.
                        addIf(present, feature, ingress && works(ns, "tc", "filter", "add", "dev", "lo", "parent",
                                "ffff:", "protocol", "all", "prio", "1", "u32", "match", "u32", "0", "0"));
                        break;
                    case MIRRED:
                        addIf(present, feature, works(ns, "tc", "actions", "add", "action", "mirred", "egress",
                                "redirect", "dev", "lo"));
                        break;
                    case PLUG:
                        addIf(present, feature, works(ns, "tc", "qdisc", "add", "dev", "lo", "root", "plug",
                                "limit", "10000"));
                        break;
                    default:
                        break;
                }
            }
        } finally {
            try {
                CommandRunner.Result deleted = runner.run(PACKAGE, "delete the probe namespace",
                        List.of("ip", "netns", "del", ns));
                if (!deleted.ok()) {
                    LOG.warn("could not delete probe namespace {}: {}", ns, deleted.stderr().strip());
                }
            } catch (OperationFailedException e) {
                LOG.warn("could not delete probe namespace {}: {}", ns, e.getMessage());
            }
        }
        present.retainAll(candidates);
        return present;
    }

    private static void addIf(Set<KernelFeature> present, KernelFeature feature, boolean works) {
        if (works) {
            present.add(feature);
        }
    }

    private boolean works(String ns, String tool, String... args) {
        List<String> argv = new ArrayList<>(List.of(tool, "-n", ns));
        argv.addAll(List.of(args));
        CommandRunner.Result result = runner.run(PACKAGE, "probe kernel feature", argv);
        if (!result.ok()) {
            LOG.debug("probe {} failed: {}", argv, result.stderr().strip());
        }
        return result.ok();
    }
}
