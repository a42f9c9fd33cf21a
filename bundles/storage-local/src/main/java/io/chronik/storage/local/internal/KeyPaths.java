package io.chronik.storage.local.internal;

import java.nio.file.Path;

/**
 * Maps object keys to files below a store's root and back: {@code a/b/c} is {@code <root>/a/b/c}. Knows the
 * reserved directory of in-flight puts ({@link Keys#TEMP_DIR}), which no key resolves into.
 *
 * <p>Immutable; safe on any thread. Does no I/O.
 */
final class KeyPaths {
    private final Path root;
    private final Path tempDir;

    /** @param root the store's root directory, an absolute real path */
    KeyPaths(Path root) {
        this.root = root;
        this.tempDir = root.resolve(Keys.TEMP_DIR);
    }

    /** The root directory (absolute, real path). */
    Path root() {
        return root;
    }

    /** The directory of in-flight puts, {@code <root>/.chronik-tmp}. */
    Path tempDir() {
        return tempDir;
    }

    /**
     * Validates {@code key} (before any I/O) and resolves it below the root.
     *
     * @throws IllegalArgumentException if the key is invalid or would resolve outside the root or into the
     *         temporary directory
     */
    Path resolve(String key) {
        Keys.check(key);
        Path path = root.resolve(key).normalize();
        if (!path.startsWith(root) || path.equals(root) || path.startsWith(tempDir)) {
            throw new IllegalArgumentException("invalid object key '" + key + "': resolves outside the store root");
        }
        return path;
    }

    /** The key of {@code path}, a path below the root: its segments relative to the root, joined by {@code /}. */
    String keyOf(Path path) {
        Path relative = root.relativize(path);
        StringBuilder key = new StringBuilder();
        for (Path segment : relative) {
            if (key.length() > 0) {
                key.append('/');
            }
            key.append(segment);
        }
        return key.toString();
    }
}
