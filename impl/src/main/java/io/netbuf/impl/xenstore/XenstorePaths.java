package io.netbuf.impl.xenstore;

import io.netbuf.XenstoreException;
import io.netbuf.Validate;

/** xenstored's path rules, checked before a request leaves netbuf. */
final class XenstorePaths {

    private XenstorePaths() {
    }

    /**
     * Checks a path as xenstored's {@code is_valid_nodename} does for an absolute path.
     *
     * @param operation the request, for the error
     * @param path the path
     * @return the path
     * @throws XenstoreException EINVAL unless the path is absolute, no longer than Xen's daemons allow
     *     ({@link Validate#maxXenstorePathBytes(String)}), made of
     *     {@code A-Za-z0-9-/_@}, without {@code //} and without a trailing {@code /} (except {@code /})
     */
    static String check(String operation, String path) {
        String problem = Validate.xenstorePathProblem(path);
        if (problem != null) {
            throw new XenstoreException(operation, path, "EINVAL", "path " + problem, null);
        }
        return path;
    }

    /**
     * Checks a path to remove: as {@link #check}, and never {@code /} (C xenstored refuses it with
     * EINVAL, but oxenstored accepts it and wipes the whole store).
     *
     * @param path the path
     * @return the path
     * @throws XenstoreException EINVAL for a bad path or {@code /}
     */
    static String checkRemovable(String path) {
        check("rm", path);
        if (path.equals("/")) {
            throw new XenstoreException("rm", path, "EINVAL", "the root cannot be removed", null);
        }
        return path;
    }
}
