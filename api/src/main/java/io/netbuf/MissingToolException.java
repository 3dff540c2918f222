package io.netbuf;

/** A command-line tool netbuf needs is not installed (or not on PATH). */
public final class MissingToolException extends NetworkBufferException {
    private static final long serialVersionUID = 1L;

    /** The missing tool. */
    private final String tool;
    /** The Debian package that provides it. */
    private final String debianPackage;

    /**
     * @param tool the executable that could not be run, e.g. {@code "tc"}
     * @param debianPackage the Debian package that provides it, e.g. {@code "iproute2"}
     * @param vif the vif concerned, or null
     * @param cause the exec failure, or null
     */
    public MissingToolException(String tool, String debianPackage, String vif, Throwable cause) {
        super("required tool '" + tool + "' was not found on PATH; install the '" + debianPackage
                + "' package (apt-get install " + debianPackage + ") or use the native backend",
                vif, null, cause);
        this.tool = tool;
        this.debianPackage = debianPackage;
    }

    /** @return the missing executable */
    public String tool() {
        return tool;
    }

    /** @return the Debian package that provides it */
    public String debianPackage() {
        return debianPackage;
    }
}
