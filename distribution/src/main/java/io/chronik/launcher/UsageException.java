package io.chronik.launcher;

/** A bad command line or setting: reported as one line, exit code 2. */
final class UsageException extends Exception {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
