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
     * @throws XenstoreException EINVAL unless the path is absolute, at most 3072 bytes, made of
     *     {@code A-Za-z0-9-/_@}, without {@code //} and without a trailing {@code /} (except {@code /})
     */
    static String check(String operation, String path) {
        String problem = Validate.xenstorePathProblem(path);
        if (problem != null) {
            throw new XenstoreException(operation, path, "EINVAL", "path " + problem, null);
        }
        return path;
    }
}
