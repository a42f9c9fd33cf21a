package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sparse offset index of one segment: relative offset (int32) of a batch's base offset → file position (int32),
 * 8 bytes per entry on disk. Held in memory; entries are appended by the single writer and published through a
 * volatile count so that readers on other threads may search concurrently. The file is the persisted prefix.
 */
public final class OffsetIndex {
    public static final int ENTRY_SIZE = 8;

    /** (relativeOffset << 32) | position. */
    private volatile long[] entries = new long[8];
    private volatile int count;
    /** Writer only: entries already in the file. */
    private int persisted;

    public int count() {
        return count;
    }

    public int relativeOffset(int i) {
        return (int) (entries[i] >>> 32);
    }

    public int position(int i) {
        return (int) entries[i];
    }

    /** Writer only. */
    public void append(int relativeOffset, int position) {
        int n = count;
        long[] a = entries;
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
            entries = a;
        }
        a[n] = ((long) relativeOffset << 32) | (position & 0xFFFFFFFFL);
        count = n + 1;
    }

    /** The file position of the last entry whose relative offset is at most {@code target}, or 0. */
    public int floorPosition(long target) {
        int n = count;
        long[] a = entries;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if ((a[mid] >>> 32) <= target) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : (int) a[found];
    }

    /** Single-threaded (recovery): forget every entry. */
    public void clear() {
        entries = new long[8];
        count = 0;
        persisted = 0;
    }

    /**
     * Loads the index file, checking that it is well formed: whole entries, strictly increasing offsets and
     * positions, every position below {@code logSize}. Returns false (leaving the index empty) if not.
     */
    public boolean load(Path file, long logSize) throws IOException {
        clear();
        ByteBuffer b = IndexFiles.read(file, ENTRY_SIZE);
        if (b == null) {
            return false;
        }
        long lastRel = -1;
        long lastPos = -1;
        while (b.hasRemaining()) {
            int rel = b.getInt();
            int pos = b.getInt();
            if (rel <= lastRel || pos <= lastPos || pos >= logSize || rel < 0) {
                clear();
                return false;
            }
            append(rel, pos);
            lastRel = rel;
            lastPos = pos;
        }
        persisted = count;
        return true;
    }

    /** Writes the entries not yet in the file; rewrites the whole file if {@code rewrite}. */
    public void persist(Path file, boolean rewrite, boolean fsync) throws IOException {
        int n = count;
        int from = rewrite ? 0 : persisted;
        if (from == n && !rewrite && !fsync) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate((n - from) * ENTRY_SIZE);
        long[] a = entries;
        for (int i = from; i < n; i++) {
            b.putLong(a[i]);
        }
        b.flip();
        IndexFiles.write(file, (long) from * ENTRY_SIZE, b, (long) n * ENTRY_SIZE, fsync);
        persisted = n;
    }
}
