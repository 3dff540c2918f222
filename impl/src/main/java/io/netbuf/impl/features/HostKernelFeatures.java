package io.netbuf.impl.features;

import io.netbuf.InsufficientPrivilegeException;
import io.netbuf.NetworkBufferException;
import io.netbuf.impl.exec.CommandRunner;
import io.netbuf.spi.KernelFeature;
import io.netbuf.spi.KernelFeatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KernelFeatures} that works on every kernel, modular or not. A feature is present when
 * its module is loaded ({@code /proc/modules}), known to sysfs ({@code /sys/module/<mod>}), built
 * in ({@code modules.builtin}), or loadable (a {@code .ko} in {@code modules.dep} or under
 * {@code /lib/modules/<release>}); only for what those files cannot confirm does it run the
 * {@link Probe} (by default a test in a throwaway network namespace). Presence is cached per
 * instance and, with a {@link BootFeatureCache}, for the rest of the boot; absence is not, so a
 * module loaded later is seen. Thread-safe.
 */
public final class HostKernelFeatures implements KernelFeatures {
    private static final Logger LOG = LoggerFactory.getLogger(HostKernelFeatures.class);
    private static final List<String> MODULE_SUFFIXES = List.of(".ko", ".ko.xz", ".ko.zst", ".ko.gz");

    private final Sources sources;
    private final Probe probe;
    private final BootFeatureCache bootCache;
    private final Set<KernelFeature> known = ConcurrentHashMap.newKeySet();
    private volatile boolean bootCacheRead;

    /**
     * Where the module information lives.
     *
     * @param procModules the loaded-modules list, normally {@code /proc/modules}
     * @param sysModule the sysfs module directory, normally {@code /sys/module}
     * @param modulesDir the running kernel's module tree, normally {@code /lib/modules/$(uname -r)}
     */
    public record Sources(Path procModules, Path sysModule, Path modulesDir) {
        /**
         * Checks that no path is null.
         *
         * @param procModules the loaded-modules list
         * @param sysModule the sysfs module directory
         * @param modulesDir the running kernel's module tree
         */
        public Sources {
            Objects.requireNonNull(procModules, "procModules");
            Objects.requireNonNull(sysModule, "sysModule");
            Objects.requireNonNull(modulesDir, "modulesDir");
        }

        /** @return the running kernel's real locations */
        public static Sources host() {
            return new Sources(Path.of("/proc/modules"), Path.of("/sys/module"),
                    Path.of("/lib/modules", BootFeatureCache.kernelRelease()));
        }
    }

    /** The last resort: tries the features out on the kernel itself. */
    @FunctionalInterface
    public interface Probe {
        /**
         * @param candidates features the module files did not confirm
         * @return those of them the kernel accepted
         * @throws NetworkBufferException if the probe itself could not run
         */
        Set<KernelFeature> present(Set<KernelFeature> candidates);
    }

    /**
     * Without a boot cache: presence is remembered by this instance only.
     *
     * @param sources where the module information lives
     * @param probe the last-resort probe
     */
    public HostKernelFeatures(Sources sources, Probe probe) {
        this(sources, probe, null);
    }

    /**
     * @param sources where the module information lives
     * @param probe the last-resort probe
     * @param bootCache where presence is remembered for the rest of the boot, or null for nowhere
     */
    public HostKernelFeatures(Sources sources, Probe probe, BootFeatureCache bootCache) {
        this.sources = Objects.requireNonNull(sources, "sources");
        this.probe = Objects.requireNonNull(probe, "probe");
        this.bootCache = bootCache;
    }

    /**
     * The running kernel, probed in throwaway namespaces with the default command runner; presence
     * is remembered for the boot in {@link BootFeatureCache#forRunningKernel()}.
     */
    public HostKernelFeatures() {
        this(Sources.host(), new NamespaceProbe(new CommandRunner()), BootFeatureCache.forRunningKernel());
    }

    @Override
    public Set<KernelFeature> missing(Set<KernelFeature> wanted) {
        Set<KernelFeature> unresolved = EnumSet.noneOf(KernelFeature.class);
        for (KernelFeature feature : wanted) {
            if (!known.contains(feature)) {
                unresolved.add(feature);
            }
        }
        if (!unresolved.isEmpty() && bootCache != null && !bootCacheRead) {
            Set<KernelFeature> remembered = bootCache.load();
            bootCacheRead = true;
            LOG.debug("kernel features present this boot, from {}: {}", bootCache.file(), remembered);
            known.addAll(remembered);
            unresolved.removeAll(remembered);
        }
        if (unresolved.isEmpty()) {
            return EnumSet.noneOf(KernelFeature.class);
        }
        Set<KernelFeature> before = EnumSet.copyOf(unresolved);
        ModuleLists lists = new ModuleLists();
        for (KernelFeature feature : List.copyOf(unresolved)) {
            String module = normalise(feature.module());
            String how = lists.loaded().contains(module) ? "loaded"
                    : Files.isDirectory(sources.sysModule().resolve(module)) ? "in " + sources.sysModule()
                    : lists.builtin().contains(module) ? "built in"
                    : lists.loadable().contains(module) ? "loadable" : null;
            if (how != null) {
                LOG.debug("kernel feature {} ({}) is present: {}", feature, module, how);
                known.add(feature);
                unresolved.remove(feature);
            }
        }
        if (!unresolved.isEmpty()) {
            try {
                Set<KernelFeature> probed = probe.present(EnumSet.copyOf(unresolved));
                LOG.debug("probe found {} of {}", probed, unresolved);
                for (KernelFeature feature : probed) {
                    if (unresolved.remove(feature)) {
                        known.add(feature);
                    }
                }
            } catch (NetworkBufferException e) {
                if (InsufficientPrivilegeException.refusal(e).isPresent()) {
                    // not a missing module: this process may not create the probe's namespace
                    throw InsufficientPrivilegeException.of("check kernel features " + unresolved, null, null, e);
                }
                LOG.warn("could not probe kernel features {}; reporting them missing: {}", unresolved,
                        e.getMessage());
            }
        }
        if (bootCache != null && unresolved.size() < before.size()) {
            bootCache.store(EnumSet.copyOf(known));
        }
        return unresolved;
    }

    /**
     * The module lists of one check, each read on first use only: the cheapest source is asked
     * first, so on a host where the modules are loaded the module tree is never read.
     */
    private final class ModuleLists {
        private Set<String> loaded;
        private Set<String> builtin;
        private Set<String> loadable;

        Set<String> loaded() {
            if (loaded == null) {
                loaded = loadedModules();
            }
            return loaded;
        }

        Set<String> builtin() {
            if (builtin == null) {
                builtin = moduleNames(sources.modulesDir().resolve("modules.builtin"));
            }
            return builtin;
        }

        Set<String> loadable() {
            if (loadable == null) {
                loadable = loadableModules();
            }
            return loadable;
        }
    }

    private Set<String> loadedModules() {
        Set<String> names = new HashSet<>();
        for (String line : lines(sources.procModules())) {
            int space = line.indexOf(' ');
            String name = space < 0 ? line : line.substring(0, space);
            if (!name.isBlank()) {
                names.add(normalise(name));
            }
        }
        return names;
    }

    /** Reads {@code modules.dep} (every loadable module) or, without it, walks the module tree. */
    private Set<String> loadableModules() {
        Path dep = sources.modulesDir().resolve("modules.dep");
        if (Files.isRegularFile(dep)) {
            Set<String> names = new HashSet<>();
            for (String line : lines(dep)) {
                int colon = line.indexOf(':');
                String name = moduleName(colon < 0 ? line : line.substring(0, colon));
                if (name != null) {
                    names.add(name);
                }
            }
            return names;
        }
        if (!Files.isDirectory(sources.modulesDir())) {
            return Set.of();
        }
        Set<String> names = new HashSet<>();
        try (Stream<Path> files = Files.walk(sources.modulesDir())) {
            files.forEach(p -> {
                String name = moduleName(p.getFileName().toString());
                if (name != null) {
                    names.add(name);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("could not search {} for kernel modules: {}", sources.modulesDir(), e.getMessage());
        }
        return names;
    }

    private static Set<String> moduleNames(Path list) {
        Set<String> names = new HashSet<>();
        for (String line : lines(list)) {
            String name = moduleName(line.strip());
            if (name != null) {
                names.add(name);
            }
        }
        return names;
    }

    /** @return the module name of a path such as {@code kernel/net/sched/sch_plug.ko.xz}, or null */
    static String moduleName(String path) {
        String file = path.substring(path.lastIndexOf('/') + 1);
        for (String suffix : MODULE_SUFFIXES) {
            if (file.endsWith(suffix) && file.length() > suffix.length()) {
                return normalise(file.substring(0, file.length() - suffix.length()));
            }
        }
        return null;
    }

    /** The kernel treats '-' and '_' in module names alike. */
    private static String normalise(String module) {
        return module.replace('-', '_').toLowerCase(Locale.ROOT);
    }

    private static List<String> lines(Path file) {
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            LOG.warn("could not read {}: {}", file, e.getMessage());
            return List.of();
        }
    }
}
