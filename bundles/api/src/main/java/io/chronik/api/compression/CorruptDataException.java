package io.chronik.api.compression;

import java.io.IOException;

/** Compressed data could not be decoded: it is truncated, corrupted or not in the codec's format. */
public class CorruptDataException extends IOException {
    private static final long serialVersionUID = 1L;

    public CorruptDataException(String message, Throwable cause) {
        super(message, cause);
    }

    public CorruptDataException(String message) {
        super(message);
    }
}
