package io.chronik.log.internal;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import io.chronik.log.SegmentLog;

/**
 * The two state files of a partition directory, written atomically through {@link StateFiles}: the
 * {@value SegmentLog#CHECKPOINT_FILE} file (applied Raft index and term, log end and start offsets, the leader-epoch
 * cache and the producer state) and the {@value SegmentLog#LOG_START_OFFSET_FILE} file (the log start offset,
 * written at once whenever it moves, because segments below it may be deleted right after). Called by the log's
 * single writer thread (or while opening); each call does blocking file I/O.
 */
public final class CheckpointFiles {
    private static final int CHECKPOINT_MAGIC = 0x43484B50; // "CHKP"
    private static final int LOG_START_MAGIC = 0x4C534F46; // "LSOF"

    /** The offsets of a checkpoint file; its epoch cache and producer state were read into the caller's tables. */
    public record Stored(long appliedIndex, long appliedTerm, long logEndOffset, long logStartOffset) {
    }

    private CheckpointFiles() {
    }

    /**
     * Replaces {@code dir} (and everything in it) with an empty partition directory whose state files start the log at
     * {@code startOffset}, checkpointed at Raft entry {@code appliedIndex} / {@code appliedTerm}.
     */
    public static void writeEmptyLog(Path dir, long startOffset, long appliedIndex, long appliedTerm) throws IOException {
        deleteRecursively(dir);
        Files.createDirectories(dir);
        write(dir, appliedIndex, appliedTerm, startOffset, startOffset, new EpochCache(), new ProducerStateTable());
        writeLogStartOffset(dir, startOffset);
    }

    /** Deletes {@code dir} and everything in it, if it exists. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Reads the checkpoint file of {@code dir} into {@code epochs} and {@code producers} (both empty); null if
     * there is none.
     *
     * @throws IOException if it cannot be read or is damaged or inconsistent (the message names the file)
     */
    public static Stored read(Path dir, EpochCache epochs, ProducerStateTable producers) throws IOException {
        Path file = dir.resolve(SegmentLog.CHECKPOINT_FILE);
        ByteBuffer ck = StateFiles.read(file, CHECKPOINT_MAGIC);
        if (ck == null) {
            return null;
        }
        try {
            long index = ck.getLong();
            long term = ck.getLong();
            long leo = ck.getLong();
            long lso = ck.getLong();
            epochs.readFrom(ck);
            producers.readFrom(ck);
            if (ck.hasRemaining() || lso < 0 || leo < lso) {
                throw new IllegalArgumentException("inconsistent offsets or trailing bytes");
            }
            return new Stored(index, term, leo, lso);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw new IOException(file + " is damaged: " + e.getMessage(), e);
        }
    }

    /** Atomically replaces the checkpoint file of {@code dir} (fsyncing it and the directory). */
    public static void write(Path dir, long appliedIndex, long appliedTerm, long logEndOffset, long logStartOffset,
                             EpochCache epochs, ProducerStateTable producers) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32 + epochs.serializedSize() + producers.serializedSize());
        b.putLong(appliedIndex).putLong(appliedTerm).putLong(logEndOffset).putLong(logStartOffset);
        epochs.writeTo(b);
        producers.writeTo(b);
        b.flip();
        StateFiles.writeAtomically(dir.resolve(SegmentLog.CHECKPOINT_FILE), CHECKPOINT_MAGIC, b);
    }

    /** The offset in the log start offset file of {@code dir}, or -1 if there is none; IOException if damaged. */
    public static long readLogStartOffset(Path dir) throws IOException {
        Path file = dir.resolve(SegmentLog.LOG_START_OFFSET_FILE);
        ByteBuffer b = StateFiles.read(file, LOG_START_MAGIC);
        if (b == null) {
            return -1;
        }
        if (b.remaining() != 8) {
            throw new IOException(file + " is damaged");
        }
        return b.getLong();
    }

    /** Atomically replaces the log start offset file of {@code dir} (fsyncing it and the directory). */
    public static void writeLogStartOffset(Path dir, long offset) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).putLong(offset);
        b.flip();
        StateFiles.writeAtomically(dir.resolve(SegmentLog.LOG_START_OFFSET_FILE), LOG_START_MAGIC, b);
    }
}
