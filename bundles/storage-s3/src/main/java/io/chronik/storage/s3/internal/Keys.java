package io.chronik.storage.s3.internal;

/** Validation of object keys, as specified by {@link io.chronik.api.store.ObjectStore}. */
final class Keys {

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
            start = end + 1;
        }
        return null;
    }

    private static String quote(String key) {
        return key == null ? "null" : "'" + key.replace("\0", "\\0") + "'";
    }
}
