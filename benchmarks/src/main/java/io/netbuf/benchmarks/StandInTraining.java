package io.netbuf.benchmarks;

import io.netbuf.cli.CdsTraining;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.impl.features.HostKernelFeatures;
import io.netbuf.impl.features.NamespaceProbe;
import io.netbuf.impl.host.SystemHost;
import java.io.IOException;

/**
 * The class-archive training for {@code hotplug-standin.jar} ({@link StandInHotplug}): the launcher's
 * own training ({@link CdsTraining#train()}), plus one hotplug round on the pfifo stand-in plug in
 * a throwaway namespace, so that the setup path, which on a kernel without sch_plug the launcher's
 * training can only follow up to the plug, is trained to the end, as the launcher's training is on
 * a kernel with sch_plug. {@code benchmarks/compare-reference.sh -s} has the launcher run it in
 * place of its own training, with the same options.
 */
public final class StandInTraining {
    private StandInTraining() {
    }

    /**
     * @param args ignored
     * @throws IOException if the launcher's training fails to make or remove its scratch directory
     */
    public static void main(String[] args) throws IOException {
        CdsTraining.train();
        // No per-boot cache: the training leaves the host's /run/netbuf alone.
        HostKernelFeatures features = new HostKernelFeatures(HostKernelFeatures.Sources.host(),
                new NamespaceProbe(new CommandRunner()), null);
        CdsTraining.hotplugRound((namespace, environment, lockDir) -> timeout -> BenchHost.withStandInPlug(
                SystemHost.fromSystemProperties().environment(environment).commandTimeout(timeout)
                        .namespace(namespace).lockDir(lockDir).kernelFeatures(new BenchHost.WithoutPlug(features))
                        .build(), namespace));
        System.exit(0);
    }
}
