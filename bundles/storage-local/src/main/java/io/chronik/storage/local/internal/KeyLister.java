package io.chronik.storage.local.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Lists the keys that start with a prefix by walking the directory tree below the root: only the subtree that the
 * prefix's full segments name, skipping subdirectories that cannot hold a matching key and the temporary
 * directory; files that are not valid keys are left out.
 *
 * <p>Thread-safe and stateless apart from its {@link KeyPaths}; blocks on file-system I/O. Concurrent puts and
 * deletes may or may not show up; a file or directory deleted during the walk is skipped, not an error.
 */
final class KeyLister {
    private final KeyPaths paths;

    KeyLister(KeyPaths paths) {
        this.paths = paths;
    }

    /**
     * The keys starting with {@code prefix}, sorted.
     *
     * @throws IOException if a directory cannot be read
     */
    List<String> list(String prefix) throws IOException {
        Objects.requireNonNull(prefix, "prefix");
        Path root = paths.root();
        Path tempDir = paths.tempDir();
        Path start = root;
        int slash = prefix.lastIndexOf('/');
        if (slash >= 0) {
            // every key starting with the prefix lies below the directory named by the prefix's full segments
            String dir = prefix.substring(0, slash);
            if (!Keys.isValid(dir)) {
                return List.of(); // no valid key can start with it
            }
            start = root.resolve(dir);
        }
        if (!Files.isDirectory(start, NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<String> keys = new ArrayList<>();
        Files.walkFileTree(start, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                if (dir.equals(tempDir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (!dir.equals(root)) {
                    String dirKey = paths.keyOf(dir) + "/";
                    if (!dirKey.startsWith(prefix) && !prefix.startsWith(dirKey)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    String key = paths.keyOf(file);
                    if (key.startsWith(prefix) && Keys.isValid(key)) {
                        keys.add(key);
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // deleted while we walked
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        Collections.sort(keys);
        return keys;
    }
}
