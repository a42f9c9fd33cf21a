package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What the sparse indexes of a segment ({@link OffsetIndex}, {@link TimeIndex}) share: fixed-size entries held in
 * memory, appended by the single writer and published through a volatile count so that readers on other threads
 * may search concurrently; the file is the persisted prefix, loaded and checked whole at open and extended (or
 * rewritten) by {@link #persist}. Subclasses own the entry arrays and their encoding.
 */
abstract class SparseIndex {
    private final int entrySize;
    private volatile int count;
    /** Writer only: entries already in the file. */
    private int persisted;

    SparseIndex(int entrySize) {
        this.entrySize = entrySize;
    }

    /** Entries visible to readers (a volatile read). */
    final int count() {
        return count;
    }

    /** Writer only: publishes {@code n} entries (after they were stored). */
    final void publishCount(int n) {
        count = n;
    }

    /** Single-threaded (recovery): forgets every entry. */
    final void clear() {
        resetEntries();
        count = 0;
        persisted = 0;
    }

    /**
     * Loads the index file, checking that it is well formed: whole entries, each accepted by
     * {@link #loadEntry(ByteBuffer, long)} against {@code bound}. Returns false (leaving the index empty) if the file
     * is missing or not well formed.
     */
    final boolean load(Path file, long bound) throws IOException {
        clear();
        if (!Files.exists(file)) {
            return false;
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length % entrySize != 0) {
            return false;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
            if (!loadEntry(b, bound)) {
                clear();
                return false;
            }
        }
        persisted = count;
        return true;
    }

    /**
     * Writes the entries not yet in {@code file} (all of them if {@code rewrite}), cuts the file after the last
     * one and forces it if {@code fsync}. Writer only.
     */
    final void persist(Path file, boolean rewrite, boolean fsync) throws IOException {
        int n = count;
        int from = rewrite ? 0 : persisted;
        if (from == n && !rewrite && !fsync) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate((n - from) * entrySize);
        encode(b, from, n);
        b.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long pos = (long) from * entrySize;
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
            ch.truncate((long) n * entrySize);
            if (fsync) {
                ch.force(true);
            }
        }
        persisted = n;
    }

    /** Replaces the entry arrays with empty ones. */
    abstract void resetEntries();

    /**
     * Reads one entry from {@code b} and appends it if it follows the entries so far and respects {@code bound};
     * returns false if it does not.
     */
    abstract boolean loadEntry(ByteBuffer b, long bound);

    /** Puts entries {@code from} (inclusive) to {@code to} (exclusive) into {@code b}. */
    abstract void encode(ByteBuffer b, int from, int to);
}
