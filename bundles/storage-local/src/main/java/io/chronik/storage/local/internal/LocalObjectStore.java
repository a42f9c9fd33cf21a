package io.chronik.storage.local.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.store.ObjectNotFoundException;
import io.chronik.api.store.ObjectStore;

/**
 * {@link ObjectStore} on a local directory. A key maps to the file at the same relative path below the root
 * ({@code a/b/c} is {@code <root>/a/b/c}).
 *
 * <p>A put writes the data to a new file in {@code <root>/.chronik-tmp/}, forces it to disk, renames it over
 * the target with an atomic move (same file system, so {@code rename(2)}) and forces the target's directory
 * (and every directory the put created) to disk. A reader that opened the previous file keeps reading it; a
 * put that fails (including a failing input stream) deletes its temporary file and leaves the previous object
 * untouched. Temporary files are never listed; the first key segment {@code .chronik-tmp} is reserved.
 *
 * <p>Because keys are paths, a key cannot be both an object and a prefix of other keys ({@code a} and
 * {@code a/b}): such a put fails with an {@link IOException}. Delete removes directories that it leaves empty
 * (never the root).
 *
 * <p>One instance per factory configuration of {@code io.chronik.storage.local}; configuration properties
 * are service properties, so {@code store.name} names the service (default {@code local}).
 */
@Component(name = LocalObjectStore.PID, configurationPid = LocalObjectStore.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = ObjectStore.class, property = ObjectStore.STORE_NAME + "=local")
@Designate(ocd = LocalStoreConfig.class, factory = true)
public class LocalObjectStore implements ObjectStore {
    static final String PID = "io.chronik.storage.local";

    private static final Logger LOG = LoggerFactory.getLogger(LocalObjectStore.class);

    /** Temporary files older than this are leftovers of a crash and are removed on activation. */
    private static final Duration STALE_TEMP = Duration.ofHours(1);
    private static final int COPY_BUFFER = 64 * 1024;
    private static final int MOVE_ATTEMPTS = 100;
    private static final boolean WINDOWS = File.separatorChar == '\\';

    private final Path root;
    private final Path tempDir;
    private final String name;

    @Activate
    public LocalObjectStore(LocalStoreConfig config) throws IOException {
        this(rootOf(config), config.store_name());
    }

    /**
     * A store on {@code root}, created if missing.
     *
     * @throws IOException if the root cannot be created or is not a writable directory
     */
    public LocalObjectStore(Path root, String name) throws IOException {
        this.name = name == null || name.isBlank() ? "local" : name;
        Path absolute = root.toAbsolutePath().normalize();
        try {
            Files.createDirectories(absolute);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(describe() + ": root " + absolute + " is not a writable directory (it is a file)", e);
        } catch (IOException e) {
            throw new IOException(describe() + ": cannot create root directory " + absolute + ": " + e, e);
        }
        if (!Files.isDirectory(absolute) || !Files.isWritable(absolute)) {
            throw new IOException(describe() + ": root " + absolute + " is not a writable directory");
        }
        this.root = absolute.toRealPath();
        this.tempDir = this.root.resolve(Keys.TEMP_DIR);
        try {
            Files.createDirectories(tempDir);
        } catch (IOException e) {
            throw new IOException(describe() + ": cannot create " + tempDir + ": " + e, e);
        }
        removeStaleTempFiles();
        LOG.info("{} on {}", describe(), this.root);
    }

    private static Path rootOf(LocalStoreConfig config) {
        String root = config.root();
        if (root == null || root.isBlank()) {
            throw new IllegalArgumentException("object store '" + config.store_name() + "': the configuration "
                    + PID + " has no 'root' directory");
        }
        return Paths.get(root.trim());
    }

    @Deactivate
    void deactivate() {
        LOG.info("{} on {} stopped", describe(), root);
    }

    /** The root directory (absolute, real path). */
    public Path root() {
        return root;
    }

    // ---------------------------------------------------------------------------------------------- put

    @Override
    public long put(String key, InputStream data) throws IOException {
        Path target = resolve(key);
        Objects.requireNonNull(data, "data");
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

    @Override
    public void put(String key, byte[] data) throws IOException {
        Path target = resolve(key);
        Objects.requireNonNull(data, "data");
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
        Path temp = tempDir.resolve(UUID.randomUUID() + ".tmp");
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
                    LOG.warn("{}: cannot delete temporary file {}: {}", describe(), temp, e.toString());
                }
            }
        }
    }

    private FileChannel openTemp(Path temp) throws IOException {
        try {
            return FileChannel.open(temp, CREATE_NEW, WRITE);
        } catch (NoSuchFileException e) {
            Files.createDirectories(tempDir); // removed behind our back: recreate once
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
            syncDirectory(parent);
            for (Path dir : created) {
                syncDirectory(dir.getParent());
            }
            return;
        }
    }

    /** Creates the missing directories from the root down to {@code dir}, adding the created ones to {@code created}. */
    private void createParents(String key, Path dir, List<Path> created) throws IOException {
        Deque<Path> missing = new ArrayDeque<>();
        for (Path p = dir; !p.equals(root) && !Files.isDirectory(p, NOFOLLOW_LINKS); p = p.getParent()) {
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
                throw new IOException("cannot store '" + key + "' in " + describe() + ": '" + keyOf(d)
                        + "' is an object, so it cannot also be a prefix of keys", e);
            }
        }
    }

    private IOException prefixConflict(String key) {
        return new IOException("cannot store '" + key + "' in " + describe() + ": there are keys under '" + key
                + "/', and a local directory cannot be both an object and a prefix of keys");
    }

    private static void syncDirectory(Path dir) throws IOException {
        if (WINDOWS) {
            return; // directories cannot be opened for force() there; NTFS journals the rename itself
        }
        try (FileChannel channel = FileChannel.open(dir, READ)) {
            channel.force(true);
        } catch (NoSuchFileException e) {
            // removed meanwhile by a concurrent delete: nothing left to make durable
        }
    }

    // ---------------------------------------------------------------------------------------------- get

    @Override
    public InputStream get(String key) throws IOException {
        Path file = resolve(key);
        if (regularFile(file) == null) {
            throw new ObjectNotFoundException(key);
        }
        try {
            return Files.newInputStream(file, READ);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key);
        }
    }

    @Override
    public byte[] get(String key, long offset, int length) throws IOException {
        Path file = resolve(key);
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " < 0");
        }
        if (length < 0) {
            throw new IllegalArgumentException("length " + length + " < 0");
        }
        if (regularFile(file) == null) {
            throw new ObjectNotFoundException(key);
        }
        try (FileChannel channel = FileChannel.open(file, READ)) {
            long size = channel.size();
            if (offset >= size) {
                return new byte[0];
            }
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(length, size - offset));
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, offset + buffer.position()) < 0) {
                    break;
                }
            }
            return buffer.hasRemaining() ? Arrays.copyOf(buffer.array(), buffer.position()) : buffer.array();
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key);
        }
    }

    @Override
    public long size(String key) throws IOException {
        BasicFileAttributes attributes = regularFile(resolve(key));
        if (attributes == null) {
            throw new ObjectNotFoundException(key);
        }
        return attributes.size();
    }

    /** The attributes of {@code file} if it is a regular file, else {@code null}. */
    private static BasicFileAttributes regularFile(Path file) throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class, NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        } catch (FileSystemException e) {
            if (!Files.exists(file, NOFOLLOW_LINKS)) {
                return null; // e.g. a parent is a file: ENOTDIR
            }
            throw e;
        }
        return attributes.isRegularFile() ? attributes : null;
    }

    // --------------------------------------------------------------------------------------------- list

    @Override
    public List<String> list(String prefix) throws IOException {
        Objects.requireNonNull(prefix, "prefix");
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
                    String dirKey = keyOf(dir) + "/";
                    if (!dirKey.startsWith(prefix) && !prefix.startsWith(dirKey)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isRegularFile()) {
                    String key = keyOf(file);
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

    // ------------------------------------------------------------------------------------------- delete

    @Override
    public boolean delete(String key) throws IOException {
        Path file = resolve(key);
        if (regularFile(file) == null) {
            return false;
        }
        if (!Files.deleteIfExists(file)) {
            return false;
        }
        Path parent = file.getParent();
        syncDirectory(parent);
        removeEmptyDirectories(parent);
        return true;
    }

    /** Removes {@code dir} and its ancestors while they are empty, stopping at the root. */
    private void removeEmptyDirectories(Path dir) {
        for (Path d = dir; d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            try {
                Files.delete(d);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            } catch (IOException e) {
                LOG.debug("{}: cannot remove empty directory {}: {}", describe(), d, e.toString());
                return;
            }
        }
    }

    // ------------------------------------------------------------------------------------------ helpers

    /** Validates {@code key} (before any I/O) and resolves it below the root. */
    private Path resolve(String key) {
        Keys.check(key);
        Path path = root.resolve(key).normalize();
        if (!path.startsWith(root) || path.equals(root) || path.startsWith(tempDir)) {
            throw new IllegalArgumentException("invalid object key '" + key + "': resolves outside the store root");
        }
        return path;
    }

    private String keyOf(Path path) {
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

    private void removeStaleTempFiles() {
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
                    LOG.debug("{}: cannot remove stale temporary file {}: {}", describe(), f, e.toString());
                }
            }
        } catch (IOException e) {
            LOG.warn("{}: cannot clean {}: {}", describe(), tempDir, e.toString());
        }
        if (removed > 0) {
            LOG.info("{}: removed {} temporary files left by interrupted puts", describe(), removed);
        }
    }

    private String describe() {
        return "object store '" + name + "'";
    }

    @Override
    public String toString() {
        return "LocalObjectStore[" + name + " on " + root + "]";
    }
}
