package io.netbuf.it;

/**
 * Precondition of the kernel-lab tests ({@code *LabIT}): they need the real plug qdisc, which only
 * the lab's kernel has (see {@code it/kernel-lab/README.md}). The lab runner sets
 * {@code -Dnetbuf.lab=true}; like {@link Requirements}, an unmet precondition skips loudly on a
 * developer's machine and fails under {@code netbuf.privileged=required}.
 */
public final class Lab {
    private Lab() {
    }

    /** @return whether this JVM runs inside the kernel lab */
    public static boolean inside() {
        return Boolean.parseBoolean(System.getProperty("netbuf.lab", "false"));
    }

    /** Requires the kernel lab: root, network namespaces, and a kernel whose plug qdisc works. */
    public static void require() {
        Requirements.require(inside(),
                "the kernel lab (run *LabIT tests with it/kernel-lab/lab.sh mvn-verify, which sets -Dnetbuf.lab=true)");
        Requirements.netns();
        Requirements.require(plugWorks(), "a kernel with the plug qdisc (sch_plug)");
    }

    private static boolean plugWorks() {
        try (Netns probe = Netns.create("nbplug")) {
            probe.ip("link", "add", "ifbprobe", "type", "ifb");
            probe.tc("qdisc", "add", "dev", "ifbprobe", "root", "plug", "limit", "1000");
            return true;
        } catch (IllegalStateException e) {
            System.err.println("plug qdisc probe failed: " + e.getMessage());
            return false;
        }
    }
}
