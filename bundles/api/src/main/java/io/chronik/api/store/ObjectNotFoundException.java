package io.chronik.api.store;

import java.io.IOException;

/** Thrown by an {@link ObjectStore} when the requested key holds no object. */
public class ObjectNotFoundException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String key;

    public ObjectNotFoundException(String key) {
        super("no object under key '" + key + "'");
        this.key = key;
    }

    /** The key that was not found. */
    public String key() {
        return key;
    }
}
