package io.netbuf.cli;

/** The command line was wrong: reported in one line with a pointer to {@code --help}, exit status 2. */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong with the command line */
    public UsageException(String message) {
        super(message);
    }
}
