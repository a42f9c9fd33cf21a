package io.chronik.log.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Sparse time index of one segment: timestamp (int64) → relative offset (int32) of the last record of the batch
 * where the segment's maximum timestamp so far was reached; 12 bytes per entry on disk, timestamps strictly
 * increasing. The last entry of a sealed segment is its maximum timestamp. Concurrency and persistence as in
 * {@link SparseIndex}.
 */
final class TimeIndex extends SparseIndex {
    static final int ENTRY_SIZE = 12;

    private volatile long[] timestamps = new long[8];
    private volatile int[] offsets = new int[8];

    TimeIndex() {
        super(ENTRY_SIZE);
    }

    long lastTimestamp() {
        int n = count();
        return n == 0 ? -1 : timestamps[n - 1];
    }

    int lastRelativeOffset() {
        int n = count();
        return n == 0 ? -1 : offsets[n - 1];
    }

    /** Writer only; ignores an entry whose timestamp is not above the last one. */
    void maybeAppend(long timestamp, int relativeOffset) {
        int n = count();
        if (n > 0 && timestamp <= timestamps[n - 1]) {
            return;
        }
        long[] t = timestamps;
        int[] o = offsets;
        if (n == t.length) {
            t = Arrays.copyOf(t, n * 2);
            o = Arrays.copyOf(o, n * 2);
            timestamps = t;
            offsets = o;
        }
        t[n] = timestamp;
        o[n] = relativeOffset;
        publishCount(n + 1);
    }

    /** The relative offset of the last entry with a timestamp at most {@code target}, or -1 if none. */
    int floorOffset(long target) {
        int n = count();
        long[] t = timestamps;
        int[] o = offsets;
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (t[mid] <= target) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? -1 : o[found];
    }

    @Override
    void resetEntries() {
        timestamps = new long[8];
        offsets = new int[8];
    }

    /** Timestamps strictly and offsets weakly increasing, offsets up to {@code maxRelativeOffset} (the bound). */
    @Override
    boolean loadEntry(ByteBuffer b, long maxRelativeOffset) {
        long ts = b.getLong();
        int rel = b.getInt();
        int n = count();
        long lastTs = n == 0 ? Long.MIN_VALUE : timestamps[n - 1];
        int lastRel = n == 0 ? -1 : offsets[n - 1];
        if (ts <= lastTs || rel < lastRel || rel < 0 || rel > maxRelativeOffset) {
            return false;
        }
        maybeAppend(ts, rel);
        return true;
    }

    @Override
    void encode(ByteBuffer b, int from, int to) {
        long[] t = timestamps;
        int[] o = offsets;
        for (int i = from; i < to; i++) {
            b.putLong(t[i]).putInt(o[i]);
        }
    }
}
