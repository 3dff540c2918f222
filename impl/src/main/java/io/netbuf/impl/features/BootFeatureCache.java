package io.netbuf.impl.features;

import io.netbuf.spi.KernelFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel features found present during this boot, kept in a small file (by default
 * {@value #DEFAULT_FILE}) so that short-lived processes (one hotplug call per vif) need not probe
 * the kernel again. Only presence is kept: a feature missing once is checked again by the next
 * process. The file is used only when it names this boot and kernel ({@code boot_id} and release)
 * and when it and its directory are owned by the trusted owner (root) and writable by nobody else;
 * otherwise it is ignored (and replaced where the directory is trusted). Written to a temporary
 * file and renamed over the old one, so a reader sees the whole old or the whole new file.
 * Failures to read or write are logged at debug level and change nothing but speed. Thread-safe.
 */
public final class BootFeatureCache {
    /** Where the running kernel's cache lives: {@code /run} is emptied at every boot. */
    public static final String DEFAULT_FILE = "/run/netbuf/kernel-features";
    /** The owner whose cache files are trusted by {@link #forRunningKernel()}: root. */
    public static final int ROOT = 0;

    private static final Logger LOG = LoggerFactory.getLogger(BootFeatureCache.class);
    private static final String KEY = "key=";
    private static final String PRESENT = "present=";
    private static final int S_IFMT = 0170000;
    private static final int S_IFREG = 0100000;
    private static final int S_IFDIR = 0040000;
    /** Group- or world-writable. */
    private static final int WRITABLE_BY_OTHERS = 022;

    private final Path file;
    private final String bootKey;
    private final int trustedOwner;

    /**
     * @param file the cache file
     * @param bootKey what identifies this boot and kernel; a file made under another key is ignored
     * @param trustedOwner the uid that must own the file and its directory
     */
    public BootFeatureCache(Path file, String bootKey, int trustedOwner) {
        this.file = Objects.requireNonNull(file, "file");
        this.bootKey = Objects.requireNonNull(bootKey, "bootKey");
        if (bootKey.isBlank() || bootKey.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("boot key must be one non-blank line: '" + bootKey + "'");
        }
        this.trustedOwner = trustedOwner;
    }

    /**
     * @return the cache of the running kernel: {@value #DEFAULT_FILE}, keyed by
     *     {@code /proc/sys/kernel/random/boot_id} and the kernel release, trusted when root owns it;
     *     null when the boot cannot be identified (then nothing is cached)
     */
    public static BootFeatureCache forRunningKernel() {
        try {
            String bootId = Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).strip();
            return bootId.isEmpty() ? null
                    : new BootFeatureCache(Path.of(DEFAULT_FILE), bootId + " " + kernelRelease(), ROOT);
        } catch (IOException e) {
            LOG.debug("no boot id, kernel features are not cached: {}", e.toString());
            return null;
        }
    }

    /** @return the running kernel's release, as {@code uname -r} prints it */
    static String kernelRelease() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).strip();
        } catch (IOException e) {
            return System.getProperty("os.version");
        }
    }

    /** @return the cache file */
    public Path file() {
        return file;
    }

    /**
     * @param other another file
     * @return a cache of the same boot and kernel, trusting the same owner, kept in {@code other}
     */
    public BootFeatureCache in(Path other) {
        return new BootFeatureCache(other, bootKey, trustedOwner);
    }

    /** @return the boot and kernel this cache belongs to */
    String bootKey() {
        return bootKey;
    }

    /**
     * @return the features the file records as present during this boot; empty when there is no
     *     usable file (absent, untrusted, of another boot or kernel, unreadable or malformed)
     */
    public Set<KernelFeature> load() {
        Set<KernelFeature> present = EnumSet.noneOf(KernelFeature.class);
        if (!trusted(file.getParent(), S_IFDIR) || !trusted(file, S_IFREG)) {
            return present;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            LOG.debug("cannot read {}: {}", file, e.toString());
            return present;
        }
        if (!lines.contains(KEY + bootKey)) {
            LOG.debug("{} was written in another boot or for another kernel: ignored", file);
            return present;
        }
        for (String line : lines) {
            if (line.startsWith(PRESENT)) {
                for (String name : line.substring(PRESENT.length()).split(" ")) {
                    for (KernelFeature feature : KernelFeature.values()) {
                        if (feature.name().equals(name)) {
                            present.add(feature);
                        }
                    }
                }
            }
        }
        return present;
    }

    /**
     * Records features as present for the rest of this boot, replacing the file. Does nothing
     * where the directory exists but is not trusted.
     *
     * @param present every feature known to be present (what the file held is not merged in)
     */
    public void store(Set<KernelFeature> present) {
        Path dir = file.getParent();
        Path temp = null;
        try {
            if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(
                            PosixFilePermissions.fromString("rwxr-xr-x")));
                } catch (FileAlreadyExistsException raced) {
                    // another process made it: checked below like any existing directory
                }
            }
            if (!trusted(dir, S_IFDIR)) {
                return;
            }
            StringBuilder text = new StringBuilder(
                    "# netbuf: kernel features found present during this boot (a cache: safe to delete)\n")
                    .append(KEY).append(bootKey).append('\n').append(PRESENT);
            Set<KernelFeature> ordered = EnumSet.noneOf(KernelFeature.class);
            ordered.addAll(present);
            String separator = "";
            for (KernelFeature feature : ordered) {
                text.append(separator).append(feature.name());
                separator = " ";
            }
            text.append('\n');
            temp = Files.createTempFile(dir, ".kernel-features", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (IOException | UnsupportedOperationException e) {
            LOG.debug("cannot write {}: {}", file, e.toString());
        } finally {
            if (temp != null) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.debug("cannot remove {}: {}", temp, e.toString());
                }
            }
        }
    }

    /**
     * @param path a file or directory (not followed if a symbolic link)
     * @param type the file type it must have ({@code S_IFREG} or {@code S_IFDIR})
     * @return whether it has that type, the trusted owner, and no group or world write permission
     */
    private boolean trusted(Path path, int type) {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, "unix:uid,mode", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return false;
        } catch (UnsupportedOperationException e) {
            LOG.debug("no unix file attributes here: {}", e.toString());
            return false;
        }
        int mode = (Integer) attributes.get("mode");
        int uid = (Integer) attributes.get("uid");
        boolean ok = (mode & S_IFMT) == type && uid == trustedOwner && (mode & WRITABLE_BY_OTHERS) == 0;
        if (!ok) {
            LOG.debug("not trusting {}: uid {} (want {}), mode {}", path, uid, trustedOwner,
                    Integer.toOctalString(mode));
        }
        return ok;
    }
}
