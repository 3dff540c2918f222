package io.netbuf.benchmarks;

import io.netbuf.cli.Context;
import io.netbuf.cli.Main;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.host.SystemHost;
import io.netbuf.it.PlugStandIn;
import io.netbuf.spi.Host;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * The CLI ({@code io.netbuf.cli.Main}, invoked as {@code remus-netbuf-setup}) on the machine itself,
 * except that the plug is {@link PlugStandIn}: for timing a whole hotplug setup + teardown on a
 * kernel without sch_plug, side by side with Xen's script given the same stand-in
 * ({@code benchmarks/compare-reference.sh -s}). Everything else is what the launcher runs: the same
 * argument and environment handling, logging, {@link SystemHost} (rtnetlink, the native XenStore
 * client, Xen's lock directory, the kernel feature check with its per-boot cache, which is not
 * asked for sch_plug) and exit. Benchmark-only: it lives in this module and never in the
 * launcher's jar. The harness has {@code cli/bin/remus-netbuf-setup} itself start it (the launcher
 * pointed at this jar, its JVM's main class swapped for this one): same JVM, same options, and a
 * class archive the launcher makes for this jar ({@link StandInTraining}).
 */
public final class StandInHotplug {
    private StandInHotplug() {
    }

    /**
     * @param args as for {@code remus-netbuf-setup}: {@code setup|teardown [NAME=value...]}
     */
    public static void main(String[] args) {
        Main.run(args, new StandInHosts());
    }

    // Named classes, not lambdas: this runs in short-lived processes, where spinning a lambda the
    // class archive's training never linked costs milliseconds that the launcher does not pay.

    /** Makes the host factory from the process environment. */
    private static final class StandInHosts implements Function<Map<String, String>, Context.Hosts> {
        @Override
        public Context.Hosts apply(Map<String, String> environment) {
            return new Opener(environment);
        }
    }

    /** Opens the real host with the stand-in plug. */
    private static final class Opener implements Context.Hosts {
        private final Map<String, String> environment;

        Opener(Map<String, String> environment) {
            this.environment = environment;
        }

        @Override
        public Host open(Duration commandTimeout) {
            SystemHost system = SystemHost.fromSystemProperties().environment(environment)
                    .commandTimeout(commandTimeout)
                    .kernelFeatures(new BenchHost.WithoutPlug(new HostKernelFeatures())).build();
            return BenchHost.withStandInPlug(system, null);
        }
    }
}
