package io.chronik.log;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog.EpochEndOffset;
import io.chronik.api.consensus.PartitionLog.TimestampOffset;
import io.chronik.log.internal.BatchValidator;
import io.chronik.log.internal.Batches;
import io.chronik.log.internal.CheckpointFiles;
import io.chronik.log.internal.EpochCache;
import io.chronik.log.internal.LogLoader;
import io.chronik.log.internal.ProducerStateTable;
import io.chronik.log.internal.ProducerStateTable.BatchMeta;
import io.chronik.log.internal.ProducerStateTable.Entry;
import io.chronik.log.internal.RecordSearch;
import io.chronik.log.internal.Results;
import io.chronik.log.internal.Segment;
import io.chronik.log.internal.StateFiles;

/**
 * One partition's log in one directory: Kafka-style segment files ({@code <20-digit base offset>.log} holding
 * magic v2 record batches, a sparse {@code .index} (relative offset → position) and {@code .timeindex}
 * (timestamp → relative offset)), the idempotent-producer state, the leader-epoch cache, a
 * {@code log-start-offset} file and a {@code checkpoint} file.
 *
 * <p><b>Checkpoints and recovery.</b> {@link #checkpoint(long, long)} makes everything appended so far durable and
 * records the Raft index it corresponds to. {@link #open(Path, LogConfig)} recovers the files and truncates the log
 * back to the last checkpoint, so the Raft state machine can deterministically re-apply every entry after
 * {@link Checkpoint#appliedIndex()}: a log that was never checkpointed opens empty. (The overload
 * {@link #open(Path, LogConfig, boolean)} keeps every valid batch instead, for uses outside Raft.)
 *
 * <p><b>Thread-safety.</b> One thread at a time mutates the log: {@link #append}, {@link #deleteRecordsBefore},
 * {@link #applyRetention}, {@link #checkpoint}, {@link #flush}, {@link #updateConfig}, {@link #expireProducers},
 * {@link #close} and {@link #delete} are serialized by an internal lock (they are meant to be called from the
 * state machine's apply thread). Any number of threads may concurrently call {@link #read},
 * {@link #offsetForTimestamp}, {@link #endOffsetForLeaderEpoch}, {@link #logStartOffset}, {@link #logEndOffset},
 * {@link #sizeInBytes} and {@link #segmentCount}; they never block on the writer and only see completed appends.
 * {@link #logEndOffset()} is a volatile read: after {@code append} returns, it already covers the appended
 * batches, so callers can complete long-poll waiters by comparing it against their fetch offset.
 */
public final class SegmentLog implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(SegmentLog.class);

    /** The checkpoint file name in the partition directory. */
    public static final String CHECKPOINT_FILE = "checkpoint";
    /** The log start offset file name in the partition directory. */
    public static final String LOG_START_OFFSET_FILE = "log-start-offset";
    /** Upper bound of one {@link #read} (beyond one batch), whatever {@code maxBytes} asks for. */
    public static final int MAX_READ_BYTES = 64 << 20;

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final Path dir;
    private final Object writeLock = new Object();
    private final ProducerStateTable producers = new ProducerStateTable();
    private final EpochCache epochs = new EpochCache();

    private volatile LogConfig config;
    /** Ascending by base offset; copy-on-write by the writer. The last one is the active segment. */
    private volatile Segment[] segments = new Segment[0];
    private volatile long logStartOffset;
    private volatile long logEndOffset;
    private volatile Checkpoint lastCheckpoint = new Checkpoint(-1, -1, 0);
    private volatile boolean closed;

    // --- writer-only ---
    private final CRC32C crc = new CRC32C();
    private final BatchValidator validator = new BatchValidator();
    private ByteBuffer headerScratch = ByteBuffer.allocateDirect(Batches.HEADER_SIZE * 16);
    private boolean directoryDirty;
    /** Set when a write failed half way: the log must be reopened (recovered) before further writes. */
    private String failure;

    private SegmentLog(Path dir, LogConfig config) {
        this.dir = dir;
        this.config = config;
    }

    // ------------------------------------------------------------------------------------------------ opening

    /**
     * Opens or creates the log in {@code dir}, recovers it and truncates it to the last checkpoint (see the
     * class comment). Restores the producer state, the leader-epoch cache and the log start offset.
     *
     * @throws IOException if the directory cannot be used, or if the data the checkpoint vouches for is missing
     *                     or damaged (the message says which)
     */
    public static SegmentLog open(Path dir, LogConfig config) throws IOException {
        return open(dir, config, true);
    }

    /**
     * Opens the log; with {@code truncateToCheckpoint} false, keeps every valid batch after the checkpoint
     * (validating each one's CRC, cutting a torn or corrupt tail) and rebuilds the producer state and epoch cache
     * for them from the batch headers.
     */
    public static SegmentLog open(Path dir, LogConfig config, boolean truncateToCheckpoint) throws IOException {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(config, "config");
        Files.createDirectories(dir);
        SegmentLog log = new SegmentLog(dir, config);
        LogLoader.Loaded loaded = new LogLoader(dir, config, log.epochs, log.producers).load(truncateToCheckpoint);
        log.segments = loaded.segments();
        log.logStartOffset = loaded.logStartOffset();
        log.logEndOffset = loaded.logEndOffset();
        log.lastCheckpoint = loaded.checkpoint();
        log.directoryDirty = loaded.createdSegment();
        return log;
    }

    // ------------------------------------------------------------------------------------------------- append

    /**
     * Appends one or more complete magic v2 record batches (from {@code batches.position()} to its limit; the
     * buffer itself, its position and its content are not modified). Every batch is validated before anything is
     * written; if one fails, nothing is written. Offsets are assigned from {@link #logEndOffset()}; each written
     * batch gets its base offset and {@code leaderEpoch} as partition leader epoch, and on LogAppendTime topics the
     * LogAppendTime attribute, {@code appendTimeMs} as max timestamp and a new CRC. Nothing is fsynced.
     *
     * <p>Idempotent producers: a batch equal to one of the producer's last five is a duplicate and is skipped;
     * {@link AppendInfo#duplicate()} is true when every batch of the call was one, and then
     * {@link AppendInfo#baseOffset()} is the original offset of the first batch.
     *
     * @param leaderEpoch  the leader epoch (Raft term) the batches were committed in
     * @param appendTimeMs the append time (taken from the replicated entry, so every replica agrees)
     * @throws ConsensusException CORRUPT_RECORD (malformed, bad CRC, unsupported magic), RECORD_TOO_LARGE,
     *                            INVALID_REQUEST (empty input, transactional or control batches),
     *                            INVALID_TIMESTAMP, OUT_OF_ORDER_SEQUENCE, INVALID_PRODUCER_EPOCH, STORAGE
     */
    public AppendInfo append(ByteBuffer batches, int leaderEpoch, long appendTimeMs) throws ConsensusException {
        if (batches == null) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "No record batches (null buffer)");
        }
        synchronized (writeLock) {
            ensureWritable();
            LogConfig cfg = config;
            ByteBuffer in = batches.duplicate().order(ByteOrder.BIG_ENDIAN);
            int start = in.position();
            int end = in.limit();
            if (start == end) {
                throw new ConsensusException(Reason.INVALID_REQUEST, "No record batches (empty buffer)");
            }
            // pass 1: structure, size, CRC, attributes, timestamps
            int n = 0;
            int[] pos = new int[4];
            for (int p = start; p < end; ) {
                if (n == pos.length) {
                    pos = Arrays.copyOf(pos, n * 2);
                }
                pos[n++] = p;
                p += validator.validate(in, p, end, cfg, appendTimeMs, p - start);
            }
            // pass 2: producer state and offsets
            long next = logEndOffset;
            long[] bases = new long[n];
            BatchMeta[] dups = new BatchMeta[n];
            Map<Long, Entry> pending = null;
            int appended = 0;
            int records = 0;
            for (int i = 0; i < n; i++) {
                int p = pos[i];
                int lastDelta = in.getInt(p + Batches.LAST_OFFSET_DELTA);
                long pid = in.getLong(p + Batches.PRODUCER_ID);
                if (pid >= 0) {
                    if (pending == null) {
                        pending = new HashMap<>(4);
                    }
                    short epoch = in.getShort(p + Batches.PRODUCER_EPOCH);
                    int firstSeq = in.getInt(p + Batches.BASE_SEQUENCE);
                    int lastSeq = Batches.incrementSequence(firstSeq, lastDelta);
                    Entry entry = pending.containsKey(pid) ? pending.get(pid) : producers.copyOf(pid);
                    BatchMeta dup = ProducerStateTable.check(pid, entry, epoch, firstSeq, lastSeq);
                    if (dup != null) {
                        dups[i] = dup;
                        continue;
                    }
                    BatchMeta meta = new BatchMeta(firstSeq, lastSeq, next, lastDelta,
                            cfg.isLogAppendTime() ? appendTimeMs : -1);
                    pending.put(pid, ProducerStateTable.record(entry, epoch, meta, appendTimeMs));
                }
                bases[i] = next;
                next += lastDelta + 1L;
                appended++;
                records += in.getInt(p + Batches.RECORD_COUNT);
            }
            long logAppendTime = cfg.isLogAppendTime() ? appendTimeMs : -1;
            if (appended == 0) {
                BatchMeta first = dups[0];
                BatchMeta last = dups[n - 1];
                return new AppendInfo(first.baseOffset, last.baseOffset + last.offsetDelta, first.logAppendTime,
                        logStartOffset, 0, true);
            }
            // pass 3: write
            try {
                writeBatches(in, pos, n, bases, dups, leaderEpoch, appendTimeMs, cfg);
            } catch (IOException e) {
                failure = "append failed: " + e;
                LOG.error("{}: append failed; the log must be reopened", dir, e);
                throw new ConsensusException(Reason.STORAGE, "Writing to the partition log in " + dir + " failed: "
                        + e.getMessage(), -1, e);
            }
            if (pending != null) {
                for (Map.Entry<Long, Entry> e : pending.entrySet()) {
                    producers.put(e.getKey(), e.getValue());
                }
            }
            long baseOffset = dups[0] != null ? dups[0].baseOffset : bases[0];
            long lastOffset = dups[n - 1] != null ? dups[n - 1].baseOffset + dups[n - 1].offsetDelta : next - 1;
            return new AppendInfo(baseOffset, lastOffset, logAppendTime, logStartOffset, records, false);
        }
    }

    private void writeBatches(ByteBuffer in, int[] pos, int n, long[] bases, BatchMeta[] dups, int leaderEpoch,
                              long appendTimeMs, LogConfig cfg) throws IOException {
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
        boolean epochAssigned = false;
        long lastOffsetWritten = -1;
        for (int i = 0; i < n; i++) {
            if (dups[i] != null) {
                continue;
            }
            int p = pos[i];
            int size = Batches.LOG_OVERHEAD + in.getInt(p + Batches.LENGTH);
            long lastOffset = bases[i] + in.getInt(p + Batches.LAST_OFFSET_DELTA);
            if (active.shouldRoll(active.size() + runBytes, size, lastOffset, appendTimeMs, cfg)) {
                if (runFirst >= 0) {
                    writeRun(active, srcs, runSrcs, runBytes, in, pos, bases, dups, runFirst, i, appendTimeMs, lat);
                }
                active = roll(active, bases[i]);
                runFirst = -1;
                runBytes = 0;
            }
            if (!epochAssigned) {
                if (!epochs.assign(leaderEpoch, bases[i])) {
                    LOG.warn("{}: append with leader epoch {} older than the latest epoch {}", dir, leaderEpoch,
                            epochs.latestEpoch());
                }
                epochAssigned = true;
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
            h.putLong(Batches.BASE_OFFSET, bases[i]);
            h.putInt(Batches.PARTITION_LEADER_EPOCH, leaderEpoch);
            ByteBuffer payload = in.duplicate();
            payload.limit(p + size).position(p + Batches.HEADER_SIZE);
            if (lat) {
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
            lastOffsetWritten = lastOffset;
        }
        if (runFirst >= 0) {
            writeRun(active, srcs, runSrcs, runBytes, in, pos, bases, dups, runFirst, n, appendTimeMs, lat);
        }
        logEndOffset = lastOffsetWritten + 1;
    }

    /**
     * Writes one run of batches to {@code seg}, publishes the new size, then adds the batches to the sparse
     * indexes (after publication, so index entries never point at unpublished data; the log end offset, published
     * last by the caller, bounds what readers return).
     */
    private void writeRun(Segment seg, ByteBuffer[] srcs, int count, long bytes, ByteBuffer in, int[] pos,
                          long[] bases, BatchMeta[] dups, int from, int to, long appendTimeMs, boolean lat)
            throws IOException {
        int position = seg.size();
        seg.write(srcs, 0, count, bytes);
        seg.publishSize((int) (position + bytes));
        int interval = config.indexIntervalBytes();
        for (int i = from; i < to; i++) {
            if (dups[i] != null) {
                continue;
            }
            int p = pos[i];
            int size = Batches.LOG_OVERHEAD + in.getInt(p + Batches.LENGTH);
            long last = bases[i] + in.getInt(p + Batches.LAST_OFFSET_DELTA);
            long maxTs = lat ? appendTimeMs : in.getLong(p + Batches.MAX_TIMESTAMP);
            seg.onBatchAppended(bases[i], last, position, size, maxTs, interval);
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

    // --------------------------------------------------------------------------------------------------- read

    /**
     * Reads whole batches, starting with the one containing {@code offset}, across segments, stopping before a
     * batch whose base offset is at or beyond {@code maxOffsetExclusive} (or the log end) and before a batch that
     * would take the result beyond {@code maxBytes} (capped at {@link #MAX_READ_BYTES}); the first batch is
     * always returned whole (Kafka's minOneMessage). Empty if {@code offset} is the log end or at/after
     * {@code maxOffsetExclusive}.
     *
     * <p>Returns a new heap buffer (a copy) owned by the caller, position 0, limit = the bytes returned; it stays
     * valid whatever happens to the log afterwards. Thread-safe, never blocks on the writer.
     *
     * @throws ConsensusException OFFSET_OUT_OF_RANGE if {@code offset} is below the log start offset or above the
     *                            log end offset; STORAGE on an I/O error
     */
    public ByteBuffer read(long offset, int maxBytes, long maxOffsetExclusive) throws ConsensusException {
        for (int attempt = 0; ; attempt++) {
            long leo = logEndOffset;
            long lso = logStartOffset;
            if (closed) {
                throw new ConsensusException(Reason.STORAGE, "The partition log in " + dir + " is closed");
            }
            if (offset < lso || offset > leo) {
                throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "Offset " + offset
                        + " is out of range: the log holds offsets " + lso + " to " + leo);
            }
            long upper = Math.min(maxOffsetExclusive, leo);
            if (offset >= upper) {
                return EMPTY.duplicate();
            }
            try {
                return readFrom(segments, offset, maxBytes, upper);
            } catch (ClosedChannelException e) {
                // the segment was deleted (retention / DeleteRecords) while we read: retry against the new state
                if (attempt >= 3 || Thread.currentThread().isInterrupted()) {
                    throw new ConsensusException(Reason.STORAGE, "Reading " + dir + " was interrupted", -1, e);
                }
            } catch (IOException e) {
                throw new ConsensusException(Reason.STORAGE, "Reading " + dir + " at offset " + offset
                        + " failed: " + e.getMessage(), -1, e);
            }
        }
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

    private ByteBuffer readFrom(Segment[] segs, long offset, int maxBytes, long upper) throws IOException {
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
        long budget = Math.max(firstSize, Math.min(Math.max(maxBytes, 0), MAX_READ_BYTES));
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

    // ----------------------------------------------------------------------------------------- offset lookups

    /**
     * ListOffsets. {@code -1}: (timestamp -1, log end offset, latest epoch); {@code -2} and {@code -4}: (-1, log
     * start offset, its epoch); {@code -3}: the batch with the greatest max timestamp, answered with that timestamp
     * and the batch's <em>last</em> offset (for every batch, compressed or not). A timestamp {@code >= 0}: the
     * first record at or after it: exact for uncompressed CreateTime batches and for LogAppendTime batches; for a
     * compressed CreateTime batch, the batch's base offset with its max timestamp. Null if there is none.
     *
     * @throws ConsensusException INVALID_REQUEST for other negative values, STORAGE on an I/O error
     */
    public TimestampOffset offsetForTimestamp(long timestamp) throws ConsensusException {
        long leo = logEndOffset;
        long lso = logStartOffset;
        if (timestamp == -1) {
            return new Results.TimestampAndOffset(-1, leo, epochs.latestEpoch());
        }
        if (timestamp == -2 || timestamp == -4) {
            return new Results.TimestampAndOffset(-1, lso, epochs.epochForOffset(lso));
        }
        Segment[] segs = segments;
        if (timestamp == -3) {
            Segment best = null;
            for (Segment s : segs) {
                if (s.maxTimestamp() >= 0 && s.offsetOfMaxTimestamp() >= lso
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
        if (timestamp < 0) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "Unsupported timestamp " + timestamp);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                ByteBuffer header = ByteBuffer.allocate(Batches.HEADER_SIZE);
                for (Segment s : segs) {
                    if (s.maxTimestamp() < timestamp || s.baseOffset() >= leo) {
                        continue;
                    }
                    TimestampOffset r = RecordSearch.search(s, timestamp, lso, leo, header);
                    if (r != null) {
                        return r;
                    }
                }
                return null;
            } catch (ClosedChannelException e) {
                if (attempt >= 3 || Thread.currentThread().isInterrupted()) {
                    throw new ConsensusException(Reason.STORAGE, "Searching " + dir + " was interrupted", -1, e);
                }
                segs = segments;
                lso = logStartOffset;
            } catch (IOException e) {
                throw new ConsensusException(Reason.STORAGE, "Searching " + dir + " by timestamp failed: "
                        + e.getMessage(), -1, e);
            }
        }
    }

    /**
     * OffsetForLeaderEpoch: the largest epoch at most {@code leaderEpoch} in this log and where it ends (the start
     * of the next epoch, or the log end offset for the latest epoch); null if the log has no such epoch.
     */
    public EpochEndOffset endOffsetForLeaderEpoch(int leaderEpoch) {
        long[] r = epochs.endOffsetFor(leaderEpoch, logEndOffset);
        return r == null ? null : new Results.EpochEnd((int) r[0], r[1]);
    }

    /** The leader epoch of the batch holding {@code offset}, or -1. */
    public int epochForOffset(long offset) {
        return epochs.epochForOffset(offset);
    }

    /** The latest leader epoch appended, or -1. */
    public int latestEpoch() {
        return epochs.latestEpoch();
    }

    // ------------------------------------------------------------------------------------- deletion, retention

    /**
     * DeleteRecords: moves the log start offset to {@code offset} (persisted at once) and deletes the segments
     * entirely below it (never the active one). Returns the new log start offset (unchanged if {@code offset} is
     * not above it).
     *
     * @throws ConsensusException OFFSET_OUT_OF_RANGE if {@code offset} is negative or above the log end offset;
     *                            STORAGE on an I/O error
     */
    public long deleteRecordsBefore(long offset) throws ConsensusException {
        synchronized (writeLock) {
            ensureWritable();
            long leo = logEndOffset;
            if (offset < 0 || offset > leo) {
                throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "Cannot delete records before offset "
                        + offset + ": the log ends at " + leo);
            }
            if (offset <= logStartOffset) {
                return logStartOffset;
            }
            try {
                advanceLogStart(offset);
                Segment[] segs = segments;
                int k = 0;
                while (k < segs.length - 1 && segs[k + 1].baseOffset() <= offset) {
                    k++;
                }
                deleteOldest(k);
            } catch (IOException e) {
                throw new ConsensusException(Reason.STORAGE, "Deleting records in " + dir + " failed: "
                        + e.getMessage(), -1, e);
            }
            return logStartOffset;
        }
    }

    /**
     * Deletes whole segments by retention.ms (a segment whose greatest timestamp, or file modification time if it
     * has none, is more than retention.ms before {@code nowMs}) and retention.bytes (the oldest segments while the
     * log minus that segment is still at least retention.bytes). Never deletes the active segment. The log start
     * offset follows. Returns the deleted files.
     */
    public List<Path> applyRetention(long nowMs) throws ConsensusException {
        synchronized (writeLock) {
            ensureWritable();
            LogConfig cfg = config;
            Segment[] segs = segments;
            int k = 0;
            try {
                if (cfg.retentionMs() >= 0) {
                    while (k < segs.length - 1) {
                        long ts = segs[k].maxTimestamp();
                        if (ts < 0) {
                            ts = Files.getLastModifiedTime(segs[k].logFile()).toMillis();
                        }
                        if (nowMs - ts > cfg.retentionMs()) {
                            k++;
                        } else {
                            break;
                        }
                    }
                }
                if (cfg.retentionBytes() >= 0) {
                    long total = 0;
                    for (int i = k; i < segs.length; i++) {
                        total += segs[i].size();
                    }
                    while (k < segs.length - 1 && total - segs[k].size() >= cfg.retentionBytes()) {
                        total -= segs[k].size();
                        k++;
                    }
                }
                if (k == 0) {
                    return Collections.emptyList();
                }
                long newStart = segs[k].baseOffset();
                if (newStart > logStartOffset) {
                    advanceLogStart(newStart);
                }
                return deleteOldest(k);
            } catch (IOException e) {
                throw new ConsensusException(Reason.STORAGE, "Applying retention in " + dir + " failed: "
                        + e.getMessage(), -1, e);
            }
        }
    }

    private void advanceLogStart(long offset) throws IOException {
        CheckpointFiles.writeLogStartOffset(dir, offset); // durable before any segment goes
        logStartOffset = offset;
        epochs.truncateFromStart(offset);
    }

    private List<Path> deleteOldest(int k) throws IOException {
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

    /** Forgets idempotent producers whose last append is more than {@code maxIdleMs} before {@code nowMs}. */
    public int expireProducers(long nowMs, long maxIdleMs) {
        synchronized (writeLock) {
            return producers.expire(nowMs, maxIdleMs);
        }
    }

    // ------------------------------------------------------------------------------------ durability, state

    /**
     * Makes everything appended so far durable (fsync of the segments written since the last flush and of their
     * indexes), then atomically replaces the {@code checkpoint} file with {@code appliedIndex}, {@code appliedTerm},
     * the log end and start offsets, the producer state and the epoch cache.
     */
    public void checkpoint(long appliedIndex, long appliedTerm) throws IOException {
        synchronized (writeLock) {
            ensureWritableIo();
            flushSegments();
            long leo = logEndOffset;
            CheckpointFiles.write(dir, appliedIndex, appliedTerm, leo, logStartOffset, epochs, producers);
            directoryDirty = false;
            lastCheckpoint = new Checkpoint(appliedIndex, appliedTerm, leo);
        }
    }

    /** The last checkpoint; {@code appliedIndex} -1 if there is none. */
    public Checkpoint lastCheckpoint() {
        return lastCheckpoint;
    }

    /** fsyncs the data written since the last flush, without writing a checkpoint. */
    public void flush() throws IOException {
        synchronized (writeLock) {
            ensureWritableIo();
            flushSegments();
            if (directoryDirty) {
                StateFiles.fsyncDirectory(dir);
                directoryDirty = false;
            }
        }
    }

    private void flushSegments() throws IOException {
        for (Segment s : segments) {
            s.flush();
        }
    }

    /** Applies new settings to subsequent operations. */
    public void updateConfig(LogConfig newConfig) {
        Objects.requireNonNull(newConfig, "config");
        synchronized (writeLock) {
            config = newConfig;
        }
    }

    public LogConfig config() {
        return config;
    }

    public Path directory() {
        return dir;
    }

    public long logStartOffset() {
        return logStartOffset;
    }

    /** The next offset to be assigned; covers every completed append (a volatile read). */
    public long logEndOffset() {
        return logEndOffset;
    }

    /** Bytes in all segment files. */
    public long sizeInBytes() {
        long n = 0;
        for (Segment s : segments) {
            n += s.size();
        }
        return n;
    }

    public int segmentCount() {
        return segments.length;
    }

    /** Number of idempotent producers tracked (writer thread). */
    public int producerCount() {
        synchronized (writeLock) {
            return producers.size();
        }
    }

    /** Closes the files (without fsync or checkpoint). Idempotent. */
    @Override
    public void close() {
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            closed = true;
            for (Segment s : segments) {
                try {
                    s.persistIndexes(false);
                } catch (IOException e) {
                    LOG.warn("{}: writing the indexes of segment {} failed", dir, s.baseOffset(), e);
                }
            }
            closeSegments();
        }
    }

    private void closeSegments() {
        for (Segment s : segments) {
            s.close();
        }
    }

    /** Closes the log and removes its directory (topic deletion). */
    public void delete() throws IOException {
        synchronized (writeLock) {
            close();
            if (!Files.exists(dir)) {
                return;
            }
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void ensureWritable() throws ConsensusException {
        if (closed) {
            throw new ConsensusException(Reason.STORAGE, "The partition log in " + dir + " is closed");
        }
        if (failure != null) {
            throw new ConsensusException(Reason.STORAGE, "The partition log in " + dir
                    + " must be reopened after a failed write (" + failure + ")");
        }
    }

    private void ensureWritableIo() throws IOException {
        if (closed) {
            throw new IOException("The partition log in " + dir + " is closed");
        }
        if (failure != null) {
            throw new IOException("The partition log in " + dir + " must be reopened after a failed write ("
                    + failure + ")");
        }
    }

    @Override
    public String toString() {
        return "SegmentLog[" + dir + ", " + logStartOffset + ".." + logEndOffset + ", " + segments.length
                + " segment(s)]";
    }
}
