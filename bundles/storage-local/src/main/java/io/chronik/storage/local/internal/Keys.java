package io.chronik.storage.local.internal;

import java.util.Locale;

import io.chronik.api.store.ObjectStore;

/**
 * Validation of object keys: the rule of {@link ObjectStore#checkKey(String)}, plus this store's one reserved name
 * ({@link #TEMP_DIR}).
 */
final class Keys {

    /**
     * Directory under the root that holds in-flight puts. A key cannot start with this segment (the store's one
     * reserved name), so the directory never shows up in {@code list} and can never be overwritten by a put.
     */
    static final String TEMP_DIR = ".chronik-tmp";

    private Keys() {
    }

    /** Throws {@link IllegalArgumentException} naming the problem if {@code key} is not a valid key here. */
    static void check(String key) {
        ObjectStore.checkKey(key);
        if (reserved(key)) {
            throw new IllegalArgumentException("invalid object key '" + key + "': '" + TEMP_DIR
                    + "' is reserved by the local object store");
        }
    }

    /** {@code true} if {@code key} is a valid key here. */
    static boolean isValid(String key) {
        return ObjectStore.isValidKey(key) && !reserved(key);
    }

    private static boolean reserved(String key) {
        int slash = key.indexOf('/');
        String first = slash < 0 ? key : key.substring(0, slash);
        return first.toLowerCase(Locale.ROOT).equals(TEMP_DIR);
    }
}
