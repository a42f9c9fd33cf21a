package io.chronik.log.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Sparse offset index of one segment: relative offset (int32) of a batch's base offset → file position (int32),
 * 8 bytes per entry on disk. Concurrency and persistence as in {@link SparseIndex}.
 */
final class OffsetIndex extends SparseIndex {
    static final int ENTRY_SIZE = 8;

    /** (relativeOffset << 32) | position. */
    private volatile long[] entries = new long[8];

    OffsetIndex() {
        super(ENTRY_SIZE);
    }

    int relativeOffset(int i) {
        return (int) (entries[i] >>> 32);
    }

    int position(int i) {
        return (int) entries[i];
    }

    /** Writer only. */
    void append(int relativeOffset, int position) {
        int n = count();
        long[] a = entries;
        if (n == a.length) {
            a = Arrays.copyOf(a, n * 2);
            entries = a;
        }
        a[n] = ((long) relativeOffset << 32) | (position & 0xFFFFFFFFL);
        publishCount(n + 1);
    }

    /** The file position of the last entry whose relative offset is at most {@code target}, or 0. */
    int floorPosition(long target) {
        int n = count();
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

    @Override
    void resetEntries() {
        entries = new long[8];
    }

    /** Offsets and positions strictly increasing, every position below {@code logSize} (the bound). */
    @Override
    boolean loadEntry(ByteBuffer b, long logSize) {
        int rel = b.getInt();
        int pos = b.getInt();
        int n = count();
        long lastRel = n == 0 ? -1 : relativeOffset(n - 1);
        long lastPos = n == 0 ? -1 : position(n - 1);
        if (rel <= lastRel || pos <= lastPos || pos >= logSize || rel < 0) {
            return false;
        }
        append(rel, pos);
        return true;
    }

    @Override
    void encode(ByteBuffer b, int from, int to) {
        long[] a = entries;
        for (int i = from; i < to; i++) {
            b.putLong(a[i]);
        }
    }
}
