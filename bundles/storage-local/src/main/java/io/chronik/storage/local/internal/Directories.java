package io.chronik.storage.local.internal;

import static java.nio.file.StandardOpenOption.READ;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The directory operations that puts and deletes share: forcing a directory's entries to disk, and removing the
 * directories a delete leaves empty. Stateless; safe on any thread, each call blocks on file-system I/O.
 */
final class Directories {
    /** Logs under the store's category, which is what operators configure for the local object store. */
    private static final Logger LOG = LoggerFactory.getLogger(LocalObjectStore.class);
    private static final boolean WINDOWS = File.separatorChar == '\\';

    private Directories() {
    }

    /**
     * Forces the entries of {@code dir} (a rename or a delete in it) to disk. A directory that is gone meanwhile
     * (removed by a concurrent delete) has nothing left to make durable and is ignored.
     *
     * @throws IOException if the directory cannot be opened or forced
     */
    static void force(Path dir) throws IOException {
        if (WINDOWS) {
            return; // directories cannot be opened for force() there; NTFS journals the rename itself
        }
        try (FileChannel channel = FileChannel.open(dir, READ)) {
            channel.force(true);
        } catch (NoSuchFileException e) {
            // removed meanwhile by a concurrent delete: nothing left to make durable
        }
    }

    /**
     * Removes {@code dir} and its ancestors while they are empty, stopping at {@code root} (never removed). Never
     * throws: a directory that cannot be removed is logged at debug level and ends the climb.
     *
     * @param store the store's description for the log
     */
    static void removeEmpty(Path dir, Path root, String store) {
        for (Path d = dir; d != null && !d.equals(root) && d.startsWith(root); d = d.getParent()) {
            try {
                Files.delete(d);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            } catch (IOException e) {
                LOG.debug("{}: cannot remove empty directory {}: {}", store, d, e.toString());
                return;
            }
        }
    }
}
