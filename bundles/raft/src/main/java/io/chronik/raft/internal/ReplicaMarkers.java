package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Small durable facts about a partition replica that its log does not hold, one number per file in the replica's
 * directory: {@code move-fence} (the id of the move that fenced the partition in its source group) and
 * {@code epoch-base} (see {@link PartitionMoves}), {@code move-id} and {@code moved-in-at} (a replica a move filled). Written atomically (temporary file, forced, renamed). Callers
 * serialise writes per replica (they hold its write lock); every method blocks on file-system I/O.
 */
final class ReplicaMarkers {
    static final String FENCE = "move-fence";
    static final String EPOCH_BASE = "epoch-base";
    /** The id of the move filling (or that filled) the replica in its target group. */
    static final String MOVE_ID = "move-id";
    /** The index of the metadata entry that completed the move that filled the replica. */
    static final String MOVED_IN_AT = "moved-in-at";

    private ReplicaMarkers() {
    }

    /** The number in {@code dir/name}, or {@code absent} if there is no such file (or it is unreadable). */
    static long read(Path dir, String name, long absent) {
        Path f = dir.resolve(name);
        try {
            return Files.exists(f) ? Long.parseLong(Files.readString(f, StandardCharsets.UTF_8).trim()) : absent;
        } catch (IOException | NumberFormatException e) {
            return absent;
        }
    }

    /** Replaces {@code dir/name} with {@code value}, durably. */
    static void write(Path dir, String name, long value) throws IOException {
        Path f = dir.resolve(name);
        Path tmp = dir.resolve(name + ".tmp");
        Files.writeString(tmp, Long.toString(value), StandardCharsets.UTF_8);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    static void delete(Path dir, String name) throws IOException {
        Files.deleteIfExists(dir.resolve(name));
    }
}
