package io.chronik.log.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Leader epoch → start offset, ascending in both. Immutable snapshots behind a volatile reference: the writer
 * replaces them (rarely: on an epoch change), readers use whatever snapshot they see.
 */
public final class EpochCache {

    private static final class Snapshot {
        final int[] epochs;
        final long[] starts;

        Snapshot(int[] epochs, long[] starts) {
            this.epochs = epochs;
            this.starts = starts;
        }
    }

    private volatile Snapshot snap = new Snapshot(new int[0], new long[0]);

    public int size() {
        return snap.epochs.length;
    }

    /** The latest epoch, or -1. */
    public int latestEpoch() {
        Snapshot s = snap;
        return s.epochs.length == 0 ? -1 : s.epochs[s.epochs.length - 1];
    }

    /**
     * Writer: {@code epoch} starts at {@code startOffset} if it is newer than the latest one. Returns false (and
     * changes nothing) if the epoch is older than the latest.
     */
    public boolean assign(int epoch, long startOffset) {
        Snapshot s = snap;
        int n = s.epochs.length;
        if (n > 0 && epoch <= s.epochs[n - 1]) {
            return epoch == s.epochs[n - 1];
        }
        int[] e = Arrays.copyOf(s.epochs, n + 1);
        long[] o = Arrays.copyOf(s.starts, n + 1);
        e[n] = epoch;
        o[n] = startOffset;
        snap = new Snapshot(e, o);
        return true;
    }

    /** Writer: drops epochs that start at or after {@code endOffset}. */
    public void truncateFromEnd(long endOffset) {
        Snapshot s = snap;
        int n = s.epochs.length;
        while (n > 0 && s.starts[n - 1] >= endOffset) {
            n--;
        }
        if (n != s.epochs.length) {
            snap = new Snapshot(Arrays.copyOf(s.epochs, n), Arrays.copyOf(s.starts, n));
        }
    }

    /**
     * Writer: the log now starts at {@code startOffset}: epochs entirely below it are dropped and the epoch in
     * effect at it now starts there (as Kafka's LeaderEpochFileCache.truncateFromStart).
     */
    public void truncateFromStart(long startOffset) {
        Snapshot s = snap;
        int n = s.epochs.length;
        int firstKept = 0;
        while (firstKept < n && s.starts[firstKept] < startOffset) {
            firstKept++;
        }
        if (firstKept == 0) {
            return;
        }
        int from = firstKept - 1; // the epoch covering startOffset
        int[] e = Arrays.copyOfRange(s.epochs, from, n);
        long[] o = Arrays.copyOfRange(s.starts, from, n);
        o[0] = startOffset;
        snap = new Snapshot(e, o);
    }

    /** The epoch of the batch holding {@code offset}, or -1. */
    public int epochForOffset(long offset) {
        Snapshot s = snap;
        int i = floorByOffset(s, offset);
        return i < 0 ? -1 : s.epochs[i];
    }

    private static int floorByOffset(Snapshot s, long offset) {
        int lo = 0;
        int hi = s.starts.length - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (s.starts[mid] <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * Kafka's OffsetForLeaderEpoch: {epoch, endOffset} of the largest epoch at most {@code requested}; the end
     * is the start of the next epoch, or {@code logEndOffset} for the latest. Null if no such epoch.
     */
    public long[] endOffsetFor(int requested, long logEndOffset) {
        Snapshot s = snap;
        int n = s.epochs.length;
        if (n == 0) {
            return null;
        }
        int lo = 0;
        int hi = n - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (s.epochs[mid] <= requested) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        if (found < 0) {
            return null;
        }
        long end = found == n - 1 ? logEndOffset : s.starts[found + 1];
        return new long[] {s.epochs[found], end};
    }

    public int serializedSize() {
        return 4 + snap.epochs.length * 12;
    }

    public void writeTo(ByteBuffer b) {
        Snapshot s = snap;
        b.putInt(s.epochs.length);
        for (int i = 0; i < s.epochs.length; i++) {
            b.putInt(s.epochs[i]).putLong(s.starts[i]);
        }
    }

    public void readFrom(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining() / 12) {
            throw new IllegalArgumentException("bad epoch count " + n);
        }
        int[] e = new int[n];
        long[] o = new long[n];
        for (int i = 0; i < n; i++) {
            e[i] = b.getInt();
            o[i] = b.getLong();
            if (i > 0 && (e[i] <= e[i - 1] || o[i] < o[i - 1])) {
                throw new IllegalArgumentException("epochs not ascending at entry " + i);
            }
        }
        snap = new Snapshot(e, o);
    }
}
