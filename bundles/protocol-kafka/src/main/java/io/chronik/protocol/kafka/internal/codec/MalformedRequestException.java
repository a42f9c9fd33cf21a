package io.chronik.protocol.kafka.internal.codec;

/** The frame cannot be served: the connection is closed. */
public final class MalformedRequestException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedRequestException(String message, Throwable cause) {
        super(message, cause, false, false);
    }
}
