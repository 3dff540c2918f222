package io.netbuf.spi;

import io.netbuf.XenstoreException;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Base for XenStore backends that speak xenstored's transactions (a transaction id on every
 * request): implements the plain operations (id 0), the operations bound to a transaction, and
 * {@link #transaction(Function)} with its EAGAIN retry, from the primitives subclasses provide. The body
 * runs again in a new transaction when the commit conflicts or when a request of the body fails with
 * EAGAIN (a transaction the backend lost, e.g. with its connection to a restarted xenstored).
 */
public abstract class TransactionalXenstore implements Xenstore {
    /** The transaction id of a request outside any transaction. */
    public static final int NO_TRANSACTION = 0;

    private final int maxAttempts;

    /**
     * @param maxAttempts how many times {@link #transaction(Function)} runs a body whose commit
     *     keeps conflicting before it gives up with the EAGAIN
     */
    protected TransactionalXenstore(int maxAttempts) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be positive: " + maxAttempts);
        }
        this.maxAttempts = maxAttempts;
    }

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return the node's value, or empty when it does not exist
     */
    protected abstract Optional<String> read(int tx, String path);

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @param value the value (missing parents are created)
     */
    protected abstract void write(int tx, String path, String value);

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path to create with an empty value
     */
    protected abstract void mkdir(int tx, String path);

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return its children
     */
    protected abstract List<String> list(int tx, String path);

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path
     * @return whether the node exists
     */
    protected abstract boolean exists(int tx, String path);

    /**
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param path an absolute path to remove with its subtree
     */
    protected abstract void rm(int tx, String path);

    /**
     * Reads many nodes; the default reads them one by one. Backends that can pipeline override it.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param paths absolute paths
     * @return each node's value, or empty where it does not exist, in the order of {@code paths}
     */
    protected List<Optional<String>> readAll(int tx, List<String> paths) {
        return XenstoreOps.readEach(in(tx), paths);
    }

    /**
     * Lists many nodes; the default lists them one by one. Backends that can pipeline override it.
     *
     * @param tx a transaction id, or {@link #NO_TRANSACTION}
     * @param paths absolute paths
     * @return each node's children, or empty where it does not exist, in the order of {@code paths}
     */
    protected List<Optional<List<String>>> listAll(int tx, List<String> paths) {
        return XenstoreOps.listEach(in(tx), paths);
    }

    /** @return the id of a new transaction */
    protected abstract int transactionStart();

    /**
     * Ends a transaction.
     *
     * @param tx its id
     * @param commit true to commit (EAGAIN when it conflicted), false to abort
     */
    protected abstract void transactionEnd(int tx, boolean commit);

    @Override
    public final Optional<String> read(String path) {
        return read(NO_TRANSACTION, path);
    }

    @Override
    public final void write(String path, String value) {
        write(NO_TRANSACTION, path, value);
    }

    @Override
    public final void mkdir(String path) {
        mkdir(NO_TRANSACTION, path);
    }

    @Override
    public final List<String> list(String path) {
        return list(NO_TRANSACTION, path);
    }

    @Override
    public final boolean exists(String path) {
        return exists(NO_TRANSACTION, path);
    }

    @Override
    public final void rm(String path) {
        rm(NO_TRANSACTION, path);
    }

    @Override
    public final List<Optional<String>> readAll(List<String> paths) {
        return readAll(NO_TRANSACTION, paths);
    }

    @Override
    public final List<Optional<List<String>>> listAll(List<String> paths) {
        return listAll(NO_TRANSACTION, paths);
    }

    @Override
    public final <T> T transaction(Function<XenstoreOps, T> body) {
        XenstoreException conflict = null;
        for (int attempt = 0; attempt < maxAttempts; attempt++) {
            int tx = transactionStart();
            T result;
            try {
                result = body.apply(in(tx));
            } catch (RuntimeException | Error e) {
                try {
                    transactionEnd(tx, false);
                } catch (XenstoreException abortFailed) {
                    e.addSuppressed(abortFailed);
                }
                if (e instanceof XenstoreException x && x.isConflict()) {
                    conflict = x; // the transaction was lost (e.g. with its connection): run the body again
                    continue;
                }
                throw e;
            }
            try {
                transactionEnd(tx, true);
                return result;
            } catch (XenstoreException e) {
                if (!e.isConflict()) {
                    throw e;
                }
                conflict = e;
            }
        }
        throw conflict;
    }

    /** @return true: xenstored transactions are atomic */
    @Override
    public final boolean isTransactional() {
        return true;
    }

    /**
     * @param tx a transaction id
     * @return the operations bound to that transaction
     */
    public final XenstoreOps in(int tx) {
        return new Bound(tx);
    }

    /** The operations of one transaction. */
    private final class Bound implements XenstoreOps {
        private final int tx;

        Bound(int tx) {
            this.tx = tx;
        }

        @Override
        public Optional<String> read(String path) {
            return TransactionalXenstore.this.read(tx, path);
        }

        @Override
        public void write(String path, String value) {
            TransactionalXenstore.this.write(tx, path, value);
        }

        @Override
        public void mkdir(String path) {
            TransactionalXenstore.this.mkdir(tx, path);
        }

        @Override
        public List<String> list(String path) {
            return TransactionalXenstore.this.list(tx, path);
        }

        @Override
        public boolean exists(String path) {
            return TransactionalXenstore.this.exists(tx, path);
        }

        @Override
        public void rm(String path) {
            TransactionalXenstore.this.rm(tx, path);
        }

        @Override
        public List<Optional<String>> readAll(List<String> paths) {
            return TransactionalXenstore.this.readAll(tx, paths);
        }

        @Override
        public List<Optional<List<String>>> listAll(List<String> paths) {
            return TransactionalXenstore.this.listAll(tx, paths);
        }
    }
}
