package io.chronik.storage.local.internal;

import java.util.Locale;

/** Validation of object keys, as specified by {@link io.chronik.api.store.ObjectStore}. */
final class Keys {

    /**
     * Directory under the root that holds in-flight puts. A key cannot start with this segment (the store's one
     * reserved name), so the directory never shows up in {@code list} and can never be overwritten by a put.
     */
    static final String TEMP_DIR = ".chronik-tmp";

    private Keys() {
    }

    /** Throws {@link IllegalArgumentException} naming the problem if {@code key} is not a valid key. */
    static void check(String key) {
        String problem = problem(key);
        if (problem != null) {
            throw new IllegalArgumentException("invalid object key " + quote(key) + ": " + problem);
        }
    }

    /** {@code true} if {@code key} is a valid key. */
    static boolean isValid(String key) {
        return problem(key) == null;
    }

    private static String problem(String key) {
        if (key == null) {
            return "null";
        }
        if (key.isEmpty()) {
            return "empty";
        }
        if (key.indexOf('\0') >= 0) {
            return "contains a NUL character";
        }
        if (key.indexOf('\\') >= 0) {
            return "contains a backslash";
        }
        if (key.charAt(0) == '/') {
            return "starts with '/'";
        }
        if (key.charAt(key.length() - 1) == '/') {
            return "ends with '/'";
        }
        int start = 0;
        boolean first = true;
        while (start <= key.length()) {
            int end = key.indexOf('/', start);
            if (end < 0) {
                end = key.length();
            }
            String segment = key.substring(start, end);
            if (segment.isEmpty()) {
                return "contains an empty segment";
            }
            if (segment.equals(".") || segment.equals("..")) {
                return "contains a '" + segment + "' segment";
            }
            if (first && segment.toLowerCase(Locale.ROOT).equals(TEMP_DIR)) {
                return "'" + TEMP_DIR + "' is reserved by the local object store";
            }
            first = false;
            start = end + 1;
        }
        return null;
    }

    private static String quote(String key) {
        if (key == null) {
            return "null";
        }
        return "'" + key.replace("\0", "\\0") + "'";
    }
}
