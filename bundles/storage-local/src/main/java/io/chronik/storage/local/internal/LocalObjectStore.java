package io.chronik.storage.local.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static java.nio.file.StandardOpenOption.READ;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

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
 *
 * <p>This class is the service: it owns the root, reads and deletes objects, and delegates the rest to one class
 * per job: {@link KeyPaths} (key validation and the key/path mapping), {@link AtomicFileWriter} (the put
 * protocol and the cleanup of temporary files), {@link KeyLister} (the prefix walk) and {@link Directories}
 * (directory fsync and removal of emptied directories). Thread-safe; every operation blocks on file-system I/O.
 */
@Component(name = LocalObjectStore.PID, configurationPid = LocalObjectStore.PID, configurationPolicy = ConfigurationPolicy.REQUIRE,
        service = ObjectStore.class, property = ObjectStore.STORE_NAME + "=local")
@Designate(ocd = LocalStoreConfig.class, factory = true)
public class LocalObjectStore implements ObjectStore {
    static final String PID = "io.chronik.storage.local";

    private static final Logger LOG = LoggerFactory.getLogger(LocalObjectStore.class);

    private final Path root;
    private final KeyPaths paths;
    private final AtomicFileWriter writer;
    private final KeyLister lister;
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
        this.paths = new KeyPaths(this.root);
        this.writer = new AtomicFileWriter(paths, describe());
        this.lister = new KeyLister(paths);
        try {
            Files.createDirectories(paths.tempDir());
        } catch (IOException e) {
            throw new IOException(describe() + ": cannot create " + paths.tempDir() + ": " + e, e);
        }
        writer.removeStaleTempFiles();
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

    @Override
    public long put(String key, InputStream data) throws IOException {
        Path target = paths.resolve(key);
        Objects.requireNonNull(data, "data");
        return writer.write(key, target, data);
    }

    @Override
    public void put(String key, byte[] data) throws IOException {
        Path target = paths.resolve(key);
        Objects.requireNonNull(data, "data");
        writer.write(key, target, data);
    }

    @Override
    public InputStream get(String key) throws IOException {
        Path file = paths.resolve(key);
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
        Path file = paths.resolve(key);
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
        BasicFileAttributes attributes = regularFile(paths.resolve(key));
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

    @Override
    public List<String> list(String prefix) throws IOException {
        return lister.list(prefix);
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path file = paths.resolve(key);
        if (regularFile(file) == null) {
            return false;
        }
        if (!Files.deleteIfExists(file)) {
            return false;
        }
        Path parent = file.getParent();
        Directories.force(parent);
        Directories.removeEmpty(parent, root, describe());
        return true;
    }

    private String describe() {
        return "object store '" + name + "'";
    }

    @Override
    public String toString() {
        return "LocalObjectStore[" + name + " on " + root + "]";
    }
}
