package io.chronik.storage.local.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.UUID;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an object's file atomically: the data goes to a new file in the temporary directory, is forced to disk,
 * renamed over the target with an atomic move (same file system, so {@code rename(2)}), and then the target's
 * directory and every directory the write created are forced to disk. A reader that opened the previous file
 * keeps reading it; a write that fails (including a failing input stream) deletes its temporary file and leaves
 * the previous object untouched. Also removes the temporary files that crashed writes left behind.
 *
 * <p>Thread-safe: concurrent writes (and concurrent deletes removing emptied directories) are expected; each
 * write has its own temporary file, and the directory creation retries when a concurrent delete removes a parent
 * it has just created. Every method blocks on file-system I/O. The caller keeps ownership of the data it passes.
 */
final class AtomicFileWriter {
    /** Logs under the store's category, which is what operators configure for the local object store. */
    private static final Logger LOG = LoggerFactory.getLogger(LocalObjectStore.class);

    /** Temporary files older than this are leftovers of a crash and are removed on activation. */
    private static final Duration STALE_TEMP = Duration.ofHours(1);
    private static final int COPY_BUFFER = 64 * 1024;
    private static final int MOVE_ATTEMPTS = 100;

    private final KeyPaths paths;
    private final String store;

    /** @param store the store's description, for error messages and the log */
    AtomicFileWriter(KeyPaths paths, String store) {
        this.paths = paths;
        this.store = store;
    }

    /**
     * Writes everything {@code data} yields (read to its end, not closed) as the file {@code target} of
     * {@code key}.
     *
     * @return the number of bytes written
     * @throws IOException if reading {@code data} or writing fails, or the key is a prefix of other keys or lies
     *         below another object
     */
    long write(String key, Path target, InputStream data) throws IOException {
        return write(key, target, channel -> {
            byte[] buffer = new byte[COPY_BUFFER];
            long total = 0;
            for (int n; (n = data.read(buffer)) >= 0;) {
                writeFully(channel, ByteBuffer.wrap(buffer, 0, n));
                total += n;
            }
            return total;
        });
    }

    /** Writes {@code data} as the file {@code target} of {@code key}; see {@link #write(String, Path, InputStream)}. */
    void write(String key, Path target, byte[] data) throws IOException {
        write(key, target, channel -> {
            writeFully(channel, ByteBuffer.wrap(data));
            return data.length;
        });
    }

    private interface Content {
        long writeTo(FileChannel channel) throws IOException;
    }

    private long write(String key, Path target, Content content) throws IOException {
        if (Files.isDirectory(target, NOFOLLOW_LINKS)) {
            throw prefixConflict(key);
        }
        Path temp = paths.tempDir().resolve(UUID.randomUUID() + ".tmp");
        boolean moved = false;
        try {
            long size;
            try (FileChannel channel = openTemp(temp)) {
                size = content.writeTo(channel);
                channel.force(true);
            }
            moveIntoPlace(key, temp, target);
            moved = true;
            return size;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException e) {
                    LOG.warn("{}: cannot delete temporary file {}: {}", store, temp, e.toString());
                }
            }
        }
    }

    private FileChannel openTemp(Path temp) throws IOException {
        try {
            return FileChannel.open(temp, CREATE_NEW, WRITE);
        } catch (NoSuchFileException e) {
            Files.createDirectories(paths.tempDir()); // removed behind our back: recreate once
            return FileChannel.open(temp, CREATE_NEW, WRITE);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    private void moveIntoPlace(String key, Path temp, Path target) throws IOException {
        Path parent = target.getParent();
        List<Path> created = new ArrayList<>();
        for (int attempt = 1;; attempt++) {
            try {
                createParents(key, parent, created);
                Files.move(temp, target, ATOMIC_MOVE);
            } catch (NoSuchFileException e) {
                // a concurrent delete removed an emptied parent directory between our check (or creation) and
                // the next step: create it again
                if (attempt < MOVE_ATTEMPTS && Files.exists(temp)) {
                    continue;
                }
                throw e;
            } catch (FileSystemException e) {
                if (Files.isDirectory(target, NOFOLLOW_LINKS)) {
                    throw prefixConflict(key);
                }
                throw e;
            }
            Directories.force(parent);
            for (Path dir : created) {
                Directories.force(dir.getParent());
            }
            return;
        }
    }

    /** Creates the missing directories from the root down to {@code dir}, adding the created ones to {@code created}. */
    private void createParents(String key, Path dir, List<Path> created) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir; !p.equals(paths.root()) && !Files.isDirectory(p, NOFOLLOW_LINKS); p = p.getParent()) {
            missing.push(p);
        }
        for (Path d : missing) {
            try {
                Files.createDirectory(d);
                created.add(d);
            } catch (FileAlreadyExistsException e) {
                if (Files.isDirectory(d, NOFOLLOW_LINKS)) {
                    continue; // created meanwhile by a concurrent put
                }
                if (!Files.exists(d, NOFOLLOW_LINKS)) {
                    // created by a concurrent put and removed again by a concurrent delete: the caller retries
                    throw new NoSuchFileException(d.toString());
                }
                throw new IOException("cannot store '" + key + "' in " + store + ": '" + paths.keyOf(d)
                        + "' is an object, so it cannot also be a prefix of keys", e);
            }
        }
    }

    private IOException prefixConflict(String key) {
        return new IOException("cannot store '" + key + "' in " + store + ": there are keys under '" + key
                + "/', and a local directory cannot be both an object and a prefix of keys");
    }

    /**
     * Removes the temporary files older than an hour: leftovers of writes that a crash interrupted (younger ones
     * may belong to a write in flight in another process on the same root). Never throws; problems are logged.
     */
    void removeStaleTempFiles() {
        Path tempDir = paths.tempDir();
        Instant staleBefore = Instant.now().minus(STALE_TEMP);
        int removed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(tempDir)) {
            for (Path f : files) {
                try {
                    if (Files.getLastModifiedTime(f, NOFOLLOW_LINKS).toInstant().isBefore(staleBefore)
                            && Files.deleteIfExists(f)) {
                        removed++;
                    }
                } catch (IOException e) {
                    LOG.debug("{}: cannot remove stale temporary file {}: {}", store, f, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("{}: cannot clean {}: {}", store, tempDir, e.toString());
        }
        if (removed > 0) {
            LOG.info("{}: removed {} temporary files left by interrupted puts", store, removed);
        }
    }
}
