package io.netbuf;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The input rules netbuf enforces before it touches a host. Every entry point (builder, CLI,
 * engine) calls these, so a bad value always fails the same way: with an
 * {@link InvalidConfigurationException} naming the setting and the rule.
 */
public final class Validate {
    /** Largest plug limit the kernel accepts: {@code tc_plug_qopt.limit} is a {@code __u32}. */
    public static final long MAX_LIMIT = 0xFFFF_FFFFL;
    /** Linux's largest pid ({@code PID_MAX_LIMIT} on 64-bit). */
    public static final long MAX_PID = 4_194_304;
    /** Longest interface name: IFNAMSIZ (16) less the terminating NUL. */
    public static final int MAX_IFNAME_BYTES = 15;
    /** Longest XenStore path the wire protocol allows (XENSTORE_ABS_PATH_MAX); the daemons accept less. */
    public static final int MAX_XENSTORE_PATH_BYTES = 3072;
    /**
     * Longest XenStore path Xen's daemons accept (XENSTORE_REL_PATH_MAX), not counting a leading
     * {@code /local/domain/<domid>/}: measured on Xen 4.17's C xenstored and oxenstored alike, for dom0's
     * requests too. See {@link #maxXenstorePathBytes(String)}.
     */
    public static final int MAX_XENSTORE_RELATIVE_PATH_BYTES = 2048;
    /**
     * The nodes netbuf writes below a xenbus path, as libxl reads them: the IFB claim, the hotplug
     * status and the hotplug error. A xenbus path is accepted only when each of them fits
     * {@link #MAX_XENSTORE_RELATIVE_PATH_BYTES}.
     */
    public static final List<String> XENBUS_CHILDREN = List.of("/ifb", "/hotplug-status", "/hotplug-error");
    /** Longest xenbus path whose every child in {@link #XENBUS_CHILDREN} still fits the daemons' limit. */
    public static final int MAX_XENBUS_PATH_BYTES = MAX_XENSTORE_RELATIVE_PATH_BYTES
            - XENBUS_CHILDREN.stream().mapToInt(String::length).max().orElse(0);
    /** A domain's home, {@code /local/domain/<domid>/}, below which the daemons allow 2048 more bytes. */
    private static final Pattern DOMAIN_HOME = Pattern.compile("^/local/domain/[0-9]+/");
    /** The only shape of xenbus path libxl passes to the hotplug script. */
    private static final Pattern LIBXL_NETBUF_PATH = Pattern.compile("/libxl/(0|[1-9][0-9]{0,9})/remus/netbuf/"
            + "(0|[1-9][0-9]{0,9})");

    private Validate() {
    }

    /**
     * Checks a vif name against the kernel's interface-name rules.
     *
     * @param vif the name
     * @return the name
     * @throws InvalidConfigurationException if it is null, empty, longer than 15 bytes, {@code .} or
     *     {@code ..}, or contains {@code /}, {@code :}, whitespace or a non-printable character
     */
    public static String vif(String vif) {
        return interfaceName("vif", vif);
    }

    /**
     * Checks an IFB name with the same rules as {@link #vif(String)}.
     *
     * @param ifb the name
     * @return the name
     */
    public static String ifb(String ifb) {
        return interfaceName("ifb", ifb);
    }

    /**
     * Checks a XenStore path under which netbuf records its claim.
     *
     * @param path the path, e.g. {@code /libxl/5/remus/netbuf/0}
     * @return the path
     * @throws InvalidConfigurationException if it is null, not absolute, contains {@code ..},
     *     {@code //} or a character outside {@code A-Za-z0-9-/_@}, ends with {@code /}, or is
     *     longer than {@link #MAX_XENBUS_PATH_BYTES} bytes (so that its longest child, e.g.
     *     {@code /hotplug-status}, still fits XenStore's 3072)
     */
    public static String xenbusPath(String path) {
        final String setting = "xenbus path";
        if ("/".equals(path)) {
            throw InvalidConfigurationException.of(setting, path, "must name a node below the root");
        }
        String problem = xenstorePathProblem(path);
        if (problem != null) {
            throw InvalidConfigurationException.of(setting, path, problem);
        }
        if (path.getBytes(StandardCharsets.UTF_8).length > MAX_XENBUS_PATH_BYTES) {
            throw InvalidConfigurationException.of(setting, path, "must be at most " + MAX_XENBUS_PATH_BYTES
                    + " bytes, so that its children " + XENBUS_CHILDREN + " fit XenStore's "
                    + MAX_XENSTORE_RELATIVE_PATH_BYTES + "-byte limit");
        }
        return path;
    }

    /**
     * Checks that a xenbus path has the one shape libxl gives the hotplug script,
     * {@code /libxl/<domid>/remus/netbuf/<devid>} (decimal numbers). Paths elsewhere, such as
     * {@code /local/domain/<domid>/...}, may be writable by a guest, which could then steer or
     * forge the IFB claim; callers that accept any path must say so explicitly.
     *
     * @param setting the name to report, e.g. {@code "XENBUS_PATH"}
     * @param path the path
     * @param rule what to do instead, appended to the rule reported (may be empty)
     * @return the path
     * @throws InvalidConfigurationException if it is not a valid xenbus path of that shape
     */
    public static String libxlNetbufPath(String setting, String path, String rule) {
        xenbusPath(path);
        if (!LIBXL_NETBUF_PATH.matcher(path).matches()) {
            throw InvalidConfigurationException.of(setting, path,
                    "must be /libxl/<domid>/remus/netbuf/<devid>, the only path libxl passes (a path elsewhere, "
                            + "e.g. under /local/domain, may be writable by a guest)" + rule);
        }
        return path;
    }

    /**
     * The longest absolute path Xen's daemons accept: {@link #MAX_XENSTORE_RELATIVE_PATH_BYTES}, plus the
     * length of a leading {@code /local/domain/<domid>/} (both C xenstored and oxenstored, 4.17).
     *
     * @param path an absolute path
     * @return its limit in bytes
     */
    public static int maxXenstorePathBytes(String path) {
        Matcher home = DOMAIN_HOME.matcher(path);
        int prefix = home.lookingAt() ? home.end() : 0;
        return Math.min(MAX_XENSTORE_PATH_BYTES, MAX_XENSTORE_RELATIVE_PATH_BYTES + prefix);
    }

    /**
     * Checks a path against xenstored's rules for an absolute path (its {@code is_valid_nodename}).
     *
     * @param path the path
     * @return null when it is valid, else what is wrong with it, phrased as a rule
     */
    public static String xenstorePathProblem(String path) {
        if (path == null || path.isEmpty()) {
            return "must not be empty";
        }
        if (path.charAt(0) != '/') {
            return "must be absolute (start with /)";
        }
        int max = maxXenstorePathBytes(path);
        if (path.getBytes(StandardCharsets.UTF_8).length > max) {
            return "must be at most " + max + " bytes (" + MAX_XENSTORE_RELATIVE_PATH_BYTES
                    + " below /local/domain/<domid>/ or, elsewhere, in all, as Xen's xenstored and oxenstored allow)";
        }
        if (path.contains("..")) {
            return "must not contain '..'";
        }
        if (path.contains("//")) {
            return "must not contain '//'";
        }
        if (path.length() > 1 && path.endsWith("/")) {
            return "must not end with '/'";
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '/' || c == '_' || c == '@';
            if (!ok) {
                return "may only contain A-Za-z0-9-/_@ (found " + printable(c) + " at index " + i + ")";
            }
        }
        return null;
    }

    /**
     * Checks a plug limit in bytes.
     *
     * @param bytes the limit
     * @return the limit
     * @throws InvalidConfigurationException unless 1 &lt;= bytes &lt;= 4294967295
     */
    public static long limit(long bytes) {
        if (bytes <= 0 || bytes > MAX_LIMIT) {
            throw InvalidConfigurationException.of("limit", bytes, "must be between 1 and " + MAX_LIMIT + " bytes");
        }
        return bytes;
    }

    /**
     * Checks a lock timeout.
     *
     * @param timeout how long to wait for the host lock
     * @return the timeout
     * @throws InvalidConfigurationException if it is null or negative
     */
    public static Duration lockTimeout(Duration timeout) {
        if (timeout == null || timeout.isNegative()) {
            throw InvalidConfigurationException.of("lock timeout", timeout, "must be zero or positive");
        }
        return timeout;
    }

    /**
     * Checks the pid of a buffer's owner ({@link NetworkBuffer.Builder#ownerPid(long)}).
     *
     * @param pid a process id, or 0 for the calling process
     * @return the pid
     * @throws InvalidConfigurationException if it is negative or above Linux's largest pid (2^22)
     */
    public static long ownerPid(long pid) {
        if (pid < 0 || pid > MAX_PID) {
            throw InvalidConfigurationException.of("owner pid", pid, "must be between 1 and " + MAX_PID
                    + ", or 0 for this process");
        }
        return pid;
    }

    private static String interfaceName(String setting, String name) {
        if (name == null || name.isEmpty()) {
            throw InvalidConfigurationException.of(setting, name, "must not be empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_IFNAME_BYTES) {
            throw InvalidConfigurationException.of(setting, name,
                    "must be at most " + MAX_IFNAME_BYTES + " bytes (IFNAMSIZ)");
        }
        if (name.equals(".") || name.equals("..")) {
            throw InvalidConfigurationException.of(setting, name, "'.' and '..' are not interface names");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':') {
                throw InvalidConfigurationException.of(setting, name, "must not contain '" + c + "'");
            }
            if (c <= 0x20 || c >= 0x7f) {
                throw InvalidConfigurationException.of(setting, name,
                        "must contain only printable ASCII without whitespace (found " + printable(c)
                                + " at index " + i + ")");
            }
        }
        return name;
    }

    private static String printable(char c) {
        return c > 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }
}
