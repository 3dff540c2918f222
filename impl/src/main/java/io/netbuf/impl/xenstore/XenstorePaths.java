package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import java.nio.charset.StandardCharsets;

/** xenstored's path rules, checked before a request leaves netbuf. */
final class XenstorePaths {
    /** Longest absolute path xenstored accepts (XENSTORE_ABS_PATH_MAX). */
    static final int MAX_PATH_BYTES = 3072;

    private XenstorePaths() {
    }

    /**
     * Checks a path as xenstored's {@code is_valid_nodename} does for an absolute path.
     *
     * @param operation the request, for the error
     * @param path the path
     * @return the path
     * @throws XenstoreException EINVAL unless the path is absolute, at most 3072 bytes, made of
     *     {@code A-Za-z0-9-/_@}, without {@code //} and without a trailing {@code /} (except {@code /})
     */
    static String check(String operation, String path) {
        String why = null;
        if (path == null || path.isEmpty()) {
            why = "empty path";
        } else if (path.charAt(0) != '/') {
            why = "not absolute";
        } else if (path.getBytes(StandardCharsets.UTF_8).length > MAX_PATH_BYTES) {
            why = "longer than " + MAX_PATH_BYTES + " bytes";
        } else if (path.contains("//")) {
            why = "contains //";
        } else if (path.length() > 1 && path.endsWith("/")) {
            why = "ends with /";
        } else {
            for (int i = 0; i < path.length() && why == null; i++) {
                char c = path.charAt(i);
                boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '-' || c == '/' || c == '_' || c == '@';
                if (!ok) {
                    why = "characters outside A-Za-z0-9-/_@";
                }
            }
        }
        if (why != null) {
            throw new XenstoreException(operation, path, "EINVAL", why, null);
        }
        return path;
    }
}
