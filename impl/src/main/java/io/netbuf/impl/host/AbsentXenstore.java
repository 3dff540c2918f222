package io.netbuf.impl.host;

import io.netbuf.XenstoreException;
import io.netbuf.spi.Xenstore;
import io.netbuf.spi.XenstoreOps;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The XenStore of a host that runs no xenstored (plain Linux, a test namespace): an empty
 * database. Reads find nothing, so no IFB is claimed by a domain; any write is refused with EIO,
 * so a buffer configured with a xenbus path fails clearly instead of pretending.
 */
final class AbsentXenstore implements Xenstore {
    private static final String WHY = "no xenstored on this host (no XENSTORED_PATH, /var/run/xenstored/socket or "
            + "/dev/xen/xenbus)";

    @Override
    public Optional<String> read(String path) {
        return Optional.empty();
    }

    @Override
    public void write(String path, String value) {
        throw refused("write", path);
    }

    @Override
    public void mkdir(String path) {
        throw refused("mkdir", path);
    }

    @Override
    public List<String> list(String path) {
        throw new XenstoreException("directory", path, "ENOENT", WHY, null);
    }

    @Override
    public boolean exists(String path) {
        return false;
    }

    @Override
    public void rm(String path) {
        throw new XenstoreException("rm", path, "ENOENT", WHY, null);
    }

    @Override
    public <T> T transaction(Function<XenstoreOps, T> body) {
        return body.apply(this);
    }

    @Override
    public boolean isTransactional() {
        return false;
    }

    private static XenstoreException refused(String operation, String path) {
        return new XenstoreException(operation, path, "EIO", WHY, null);
    }
}
