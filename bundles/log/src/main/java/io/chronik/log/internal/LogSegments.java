package io.chronik.log.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.PartitionLog.TimestampOffset;
import io.chronik.log.LogConfig;
import io.chronik.log.SegmentLog;

/**
 * The segments of one partition log (the cut of Kafka's LocalLog and LogSegments): writing planned batches to the
 * active segment and rolling it, reading batches across segments, finding offsets by timestamp, dropping the
 * oldest segments and flushing.
 *
 * <p>Concurrency: the segment array is copy-on-write and published through a volatile field. The mutating methods
 * ({@link #write}, {@link #deleteOldest}, {@link #flush}, {@link #markDirectorySynced}, {@link #close}) are called by
 * the log's single writer thread; the reading methods may be called from any thread at the same time, see only
 * published data, and throw {@link java.nio.channels.ClosedChannelException} if a segment they read was deleted
 * meanwhile (the caller retries against the new state).
 */
public final class LogSegments {
    private static final Logger LOG = LoggerFactory.getLogger(LogSegments.class);
    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Path dir;
    /** Ascending by base offset; the last one is the active segment. Never empty. */
    private volatile Segment[] segments;

    private final CRC32C crc = new CRC32C();
    private ByteBuffer headerScratch = ByteBuffer.allocateDirect(Batches.HEADER_SIZE * 16);
    /** Writer only: files were created or deleted since the directory was last fsynced. */
    private boolean directoryDirty;

    /** Takes over the open segments of {@code loaded}. */
    public LogSegments(Path dir, LogLoader.Loaded loaded) {
        this.dir = dir;
        this.segments = loaded.segments();
        this.directoryDirty = loaded.createdSegment();
    }

    /** The current segments, ascending (the last one active). The array must not be modified. */
    Segment[] snapshot() {
        return segments;
    }

    /** The base offset of the {@code i}-th oldest segment. */
    public long baseOffset(int i) {
        return segments[i].baseOffset();
    }

    public int count() {
        return segments.length;
    }

    /** Bytes in all segment files. */
    public long sizeInBytes() {
        long n = 0;
        for (Segment s : segments) {
            n += s.size();
        }
        return n;
    }

    /**
     * Writer only: writes the new batches of {@code plan} with their offsets and {@code leaderEpoch}, on
     * LogAppendTime topics with the LogAppendTime attribute, {@code appendTimeMs} as max timestamp and a new CRC,
     * rolling to new segments as {@code cfg} requires. Publishes each run's size, then indexes it. Nothing is
     * fsynced. A {@linkplain AppendPlan#copied verbatim} plan's batches are written as they are ({@code leaderEpoch}
     * and {@code appendTimeMs} then only decide segment rolling). After an IOException the segments are in an
     * unknown state and the log must be reopened.
     */
    public void write(AppendPlan plan, int leaderEpoch, long appendTimeMs, LogConfig cfg) throws IOException {
        int n = plan.count;
        ByteBuffer in = plan.in;
        boolean lat = cfg.isLogAppendTime();
        if (headerScratch.capacity() < n * Batches.HEADER_SIZE) {
            headerScratch = ByteBuffer.allocateDirect(Math.max(n, headerScratch.capacity() / Batches.HEADER_SIZE * 2)
                    * Batches.HEADER_SIZE);
        }
        ByteBuffer[] srcs = new ByteBuffer[2 * n];
        int runFirst = -1; // first batch of the current run (consecutive batches going to the active segment)
        int runSrcs = 0;
        long runBytes = 0;
        Segment active = segments[segments.length - 1];
        for (int i = 0; i < n; i++) {
            if (plan.duplicates[i] != null) {
                continue;
            }
            int p = plan.positions[i];
            long base = plan.baseOffsets[i];
            int size = Batches.LOG_OVERHEAD + in.getInt(p + Batches.LENGTH);
            long lastOffset = base + in.getInt(p + Batches.LAST_OFFSET_DELTA);
            if (active.shouldRoll(active.size() + runBytes, size, lastOffset, appendTimeMs, cfg)) {
                if (runFirst >= 0) {
                    writeRun(active, srcs, runSrcs, runBytes, plan, runFirst, i, appendTimeMs, cfg);
                }
                active = roll(active, base);
                runFirst = -1;
                runBytes = 0;
            }
            if (active.size() + runBytes == 0) {
                active.startAgingAt(appendTimeMs);
            }
            if (runFirst < 0) {
                runFirst = i;
                runSrcs = 0;
            }
            // the rewritten header (the caller's buffer stays untouched)
            ByteBuffer h = headerScratch.duplicate();
            h.limit((i + 1) * Batches.HEADER_SIZE).position(i * Batches.HEADER_SIZE);
            h = h.slice();
            ByteBuffer src = in.duplicate();
            src.limit(p + Batches.HEADER_SIZE).position(p);
            h.put(src);
            ByteBuffer payload = in.duplicate();
            payload.limit(p + size).position(p + Batches.HEADER_SIZE);
            if (!plan.verbatim) {
                h.putLong(Batches.BASE_OFFSET, base);
                h.putInt(Batches.PARTITION_LEADER_EPOCH, leaderEpoch);
            }
            if (lat && !plan.verbatim) {
                short attributes = h.getShort(Batches.ATTRIBUTES);
                h.putShort(Batches.ATTRIBUTES, (short) (attributes | Batches.TIMESTAMP_TYPE_BIT));
                h.putLong(Batches.MAX_TIMESTAMP, appendTimeMs);
                crc.reset();
                h.limit(Batches.HEADER_SIZE).position(Batches.ATTRIBUTES);
                crc.update(h);
                crc.update(payload.duplicate());
                h.putInt(Batches.CRC, (int) crc.getValue());
            }
            h.clear();
            srcs[runSrcs++] = h;
            srcs[runSrcs++] = payload;
            runBytes += size;
        }
        if (runFirst >= 0) {
            writeRun(active, srcs, runSrcs, runBytes, plan, runFirst, n, appendTimeMs, cfg);
        }
    }

    /**
     * Writes one run of batches to {@code seg}, publishes the new size, then adds the batches to the sparse
     * indexes (after publication, so index entries never point at unpublished data; the log end offset, published
     * last by the caller, bounds what readers return).
     */
    private static void writeRun(Segment seg, ByteBuffer[] srcs, int count, long bytes, AppendPlan plan, int from,
                                 int to, long appendTimeMs, LogConfig cfg) throws IOException {
        int position = seg.size();
        seg.write(srcs, 0, count, bytes);
        seg.publishSize((int) (position + bytes));
        boolean lat = cfg.isLogAppendTime();
        int interval = cfg.indexIntervalBytes();
        ByteBuffer in = plan.in;
        for (int i = from; i < to; i++) {
            if (plan.duplicates[i] != null) {
                continue;
            }
            int p = plan.positions[i];
            long base = plan.baseOffsets[i];
            int size = Batches.LOG_OVERHEAD + in.getInt(p + Batches.LENGTH);
            long last = base + in.getInt(p + Batches.LAST_OFFSET_DELTA);
            long maxTs = lat && !plan.verbatim ? appendTimeMs : in.getLong(p + Batches.MAX_TIMESTAMP);
            seg.onBatchAppended(base, last, position, size, maxTs, interval);
            position += size;
        }
    }

    /** Seals {@code active} and starts a new segment at {@code baseOffset}. */
    private Segment roll(Segment active, long baseOffset) throws IOException {
        active.seal();
        Segment.deleteFiles(dir, baseOffset);
        Segment s = Segment.open(dir, baseOffset, true);
        Segment[] old = segments;
        Segment[] next = Arrays.copyOf(old, old.length + 1);
        next[old.length] = s;
        segments = next;
        directoryDirty = true;
        LOG.debug("{}: rolled segment {} (size {}), new segment {}", dir, active.baseOffset(), active.size(),
                baseOffset);
        return s;
    }

    /**
     * Reads whole batches as {@link SegmentLog#read} describes, from the batch containing {@code offset} to before
     * {@code upper} (at most the log end offset), within {@code maxBytes} (capped at
     * {@link SegmentLog#MAX_READ_BYTES}) but always the first batch whole. Returns a new heap buffer owned by the
     * caller. Any thread.
     */
    public ByteBuffer read(long offset, int maxBytes, long upper) throws IOException {
        Segment[] segs = segments;
        ByteBuffer header = ByteBuffer.allocate(Batches.HEADER_SIZE);
        int i = floorSegment(segs, offset);
        Segment seg = segs[i];
        int pos = seg.positionOf(offset, header);
        while (pos >= seg.size()) {
            if (++i >= segs.length) {
                return EMPTY.duplicate();
            }
            seg = segs[i];
            pos = seg.positionOf(offset, header);
        }
        if (header.getLong(Batches.BASE_OFFSET) >= upper) {
            return EMPTY.duplicate();
        }
        int firstSize = Batches.LOG_OVERHEAD + header.getInt(Batches.LENGTH);
        long budget = Math.max(firstSize, Math.min(Math.max(maxBytes, 0), SegmentLog.MAX_READ_BYTES));
        long available = seg.size() - (long) pos;
        for (int j = i + 1; j < segs.length && available < budget; j++) {
            available += segs[j].size();
        }
        int cap = (int) Math.min(budget, available);
        ByteBuffer out = ByteBuffer.allocate(cap);
        int filled = 0;
        while (true) {
            int segAvail = seg.size() - pos;
            int want = Math.min(cap - filled, segAvail);
            if (want <= 0) {
                break;
            }
            ByteBuffer dst = out.duplicate();
            dst.limit(filled + want).position(filled);
            seg.readFully(dst, pos);
            int end = filled + want;
            int p = filled;
            boolean stop = false;
            while (p < end) {
                if (end - p < Batches.LOG_OVERHEAD) {
                    stop = true;
                    break;
                }
                long base = out.getLong(p + Batches.BASE_OFFSET);
                int size = Batches.LOG_OVERHEAD + out.getInt(p + Batches.LENGTH);
                if (base >= upper || size > end - p) {
                    stop = true;
                    break;
                }
                p += size;
            }
            filled = p;
            if (stop || want < segAvail || ++i >= segs.length) {
                break;
            }
            seg = segs[i];
            pos = 0;
        }
        out.limit(filled);
        return out;
    }

    private static int floorSegment(Segment[] segs, long offset) {
        int lo = 0;
        int hi = segs.length - 1;
        int found = 0;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (segs[mid].baseOffset() <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * The batch with the greatest max timestamp whose last offset is at or above {@code logStart}, as (that
     * timestamp, that offset, its leader epoch from {@code epochs}); null if no segment has a timestamp. Any thread.
     */
    public TimestampOffset largestTimestamp(long logStart, EpochCache epochs) {
        Segment best = null;
        for (Segment s : segments) {
            if (s.maxTimestamp() >= 0 && s.offsetOfMaxTimestamp() >= logStart
                    && (best == null || s.maxTimestamp() > best.maxTimestamp())) {
                best = s;
            }
        }
        if (best == null) {
            return null;
        }
        long offset = best.offsetOfMaxTimestamp();
        return new Results.TimestampAndOffset(best.maxTimestamp(), offset, epochs.epochForOffset(offset));
    }

    /**
     * The first record with a timestamp at or after {@code timestamp} (≥ 0) and an offset in [{@code logStart},
     * {@code logEnd}), as {@link RecordSearch} finds it; null if there is none. Any thread.
     */
    public TimestampOffset search(long timestamp, long logStart, long logEnd) throws IOException {
        ByteBuffer header = ByteBuffer.allocate(Batches.HEADER_SIZE);
        for (Segment s : segments) {
            if (s.maxTimestamp() < timestamp || s.baseOffset() >= logEnd) {
                continue;
            }
            TimestampOffset r = RecordSearch.search(s, timestamp, logStart, logEnd, header);
            if (r != null) {
                return r;
            }
        }
        return null;
    }

    /** Writer only: removes the {@code k} oldest segments (never the active one) and deletes their files. */
    public List<Path> deleteOldest(int k) throws IOException {
        if (k == 0) {
            return Collections.emptyList();
        }
        Segment[] segs = segments;
        segments = Arrays.copyOfRange(segs, k, segs.length);
        List<Path> deleted = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            LOG.debug("{}: deleting segment {}", dir, segs[i].baseOffset());
            deleted.addAll(segs[i].delete());
        }
        directoryDirty = true;
        return deleted;
    }

    /**
     * Writer only: fsyncs the segments written since the last flush and their indexes, and with
     * {@code directory} the directory too if segment files were created or deleted since it was last synced.
     */
    public void flush(boolean directory) throws IOException {
        for (Segment s : segments) {
            s.flush();
        }
        if (directory && directoryDirty) {
            StateFiles.fsyncDirectory(dir);
            directoryDirty = false;
        }
    }

    /** Writer only: the directory was just fsynced (by writing a state file). */
    public void markDirectorySynced() {
        directoryDirty = false;
    }

    /** Writer only: writes the pending index entries (no fsync) and closes the files. */
    public void close() {
        for (Segment s : segments) {
            try {
                s.persistIndexes(false);
            } catch (IOException e) {
                LOG.warn("{}: writing the indexes of segment {} failed", dir, s.baseOffset(), e);
            }
        }
        for (Segment s : segments) {
            s.close();
        }
    }
}
