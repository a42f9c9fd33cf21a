package io.chronik.launcher;

/** The node cannot start in this environment (unwritable directory, port in use, failed bundle): exit code 1. */
final class StartupException extends Exception {
    private static final long serialVersionUID = 1L;

    StartupException(String message) {
        super(message);
    }

    StartupException(String message, Throwable cause) {
        super(message, cause);
    }
}
