package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Sparse time index of one segment: timestamp (int64) → relative offset (int32) of the last record of the batch
 * where the segment's maximum timestamp so far was reached; 12 bytes per entry on disk, timestamps strictly
 * increasing. The last entry of a sealed segment is its maximum timestamp. Same concurrency model as
 * {@link OffsetIndex}.
 */
public final class TimeIndex {
    public static final int ENTRY_SIZE = 12;

    private volatile long[] timestamps = new long[8];
    private volatile int[] offsets = new int[8];
    private volatile int count;
    private int persisted;

    public int count() {
        return count;
    }

    public long lastTimestamp() {
        int n = count;
        return n == 0 ? -1 : timestamps[n - 1];
    }

    public int lastRelativeOffset() {
        int n = count;
        return n == 0 ? -1 : offsets[n - 1];
    }

    /** Writer only; ignores an entry whose timestamp is not above the last one. */
    public void maybeAppend(long timestamp, int relativeOffset) {
        int n = count;
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
        count = n + 1;
    }

    /** The relative offset of the last entry with a timestamp at most {@code target}, or -1 if none. */
    public int floorOffset(long target) {
        int n = count;
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

    public void clear() {
        timestamps = new long[8];
        offsets = new int[8];
        count = 0;
        persisted = 0;
    }

    /** Loads and checks the file (whole entries, increasing timestamps and offsets up to {@code maxRelativeOffset}). */
    public boolean load(Path file, long maxRelativeOffset) throws IOException {
        clear();
        ByteBuffer b = IndexFiles.read(file, ENTRY_SIZE);
        if (b == null) {
            return false;
        }
        long lastTs = Long.MIN_VALUE;
        int lastRel = -1;
        while (b.hasRemaining()) {
            long ts = b.getLong();
            int rel = b.getInt();
            if (ts <= lastTs || rel < lastRel || rel < 0 || rel > maxRelativeOffset) {
                clear();
                return false;
            }
            maybeAppend(ts, rel);
            lastTs = ts;
            lastRel = rel;
        }
        persisted = count;
        return true;
    }

    public void persist(Path file, boolean rewrite, boolean fsync) throws IOException {
        int n = count;
        int from = rewrite ? 0 : persisted;
        if (from == n && !rewrite && !fsync) {
            return;
        }
        ByteBuffer b = ByteBuffer.allocate((n - from) * ENTRY_SIZE);
        long[] t = timestamps;
        int[] o = offsets;
        for (int i = from; i < n; i++) {
            b.putLong(t[i]).putInt(o[i]);
        }
        b.flip();
        IndexFiles.write(file, (long) from * ENTRY_SIZE, b, (long) n * ENTRY_SIZE, fsync);
        persisted = n;
    }
}
