package io.netbuf.testkit.internal;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Keeps one object per running test for a JUnit extension: in the test's {@link ExtensionContext.Store}
 * (so parameter resolution works with parallel execution) and in a thread-local for a field getter.
 *
 * @param <T> the object's type
 */
public final class PerTest<T> {
    private final ExtensionContext.Namespace namespace;
    private final String key;
    private final ThreadLocal<T> current = new ThreadLocal<>();
    private volatile T last;

    /**
     * @param owner the extension class (names the store's namespace)
     * @param key the key within it
     */
    public PerTest(Class<?> owner, String key) {
        this.namespace = ExtensionContext.Namespace.create(owner, key, System.identityHashCode(this));
        this.key = key;
    }

    /**
     * Starts a test's object.
     *
     * @param context the test's context
     * @param value its object
     */
    public void open(ExtensionContext context, T value) {
        context.getStore(namespace).put(key, value);
        current.set(value);
        last = value;
    }

    /**
     * @param context a test's context
     * @return its object
     * @throws IllegalStateException if none was opened
     */
    public T get(ExtensionContext context) {
        Object value = context.getStore(namespace).get(key);
        if (value == null) {
            throw new IllegalStateException("no object for " + context.getDisplayName() + "; is the extension"
                    + " registered with @RegisterExtension and the test running?");
        }
        @SuppressWarnings("unchecked")
        T t = (T) value;
        return t;
    }

    /**
     * @return the running test's object (the one opened on this thread, else the last one opened)
     * @throws IllegalStateException outside a test
     */
    public T current() {
        T value = current.get();
        if (value == null) {
            value = last;
        }
        if (value == null) {
            throw new IllegalStateException("no test is running: call this from a test method");
        }
        return value;
    }

    /**
     * Ends a test's object.
     *
     * @param context the test's context
     * @return the object, or null when none was opened
     */
    public T close(ExtensionContext context) {
        @SuppressWarnings("unchecked")
        T value = (T) context.getStore(namespace).remove(key);
        current.remove();
        if (last == value) {
            last = null;
        }
        return value;
    }
}
