package io.chronik.log;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog.EpochEndOffset;
import io.chronik.api.consensus.PartitionLog.TimestampOffset;
import io.chronik.log.internal.AppendPlan;
import io.chronik.log.internal.BatchValidator;
import io.chronik.log.internal.Batches;
import io.chronik.log.internal.CheckpointFiles;
import io.chronik.log.internal.EpochCache;
import io.chronik.log.internal.LogLoader;
import io.chronik.log.internal.LogSegments;
import io.chronik.log.internal.ProducerStateTable;
import io.chronik.log.internal.Retention;
import io.chronik.log.internal.Results;
import io.chronik.log.internal.SnapshotLinks;

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
 *
 * <p><b>Structure.</b> This class holds the lock, the offsets, the producer table and the epoch cache, and
 * delegates to the bundle's internals: {@code LogLoader} opens and recovers the directory, {@code AppendPlan} (with
 * {@code BatchValidator}, also behind {@link RecordBatches}) validates an append and runs the producer checks,
 * {@code LogSegments} writes, rolls, reads and searches the segments, {@code Retention} picks the segments to delete
 * and {@code CheckpointFiles} reads and writes the state files.
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
    private final ProducerStateTable producers;
    private final EpochCache epochs;
    private final LogSegments segments;

    private volatile LogConfig config;
    private volatile long logStartOffset;
    private volatile long logEndOffset;
    private volatile Checkpoint lastCheckpoint;
    private volatile boolean closed;

    /** Writer only. */
    private final BatchValidator validator = new BatchValidator();
    /** Writer only: set when a write failed half way; the log must be reopened (recovered) before further writes. */
    private String failure;

    private SegmentLog(Path dir, LogConfig config, EpochCache epochs, ProducerStateTable producers,
                       LogLoader.Loaded loaded) {
        this.dir = dir;
        this.config = config;
        this.epochs = epochs;
        this.producers = producers;
        this.segments = new LogSegments(dir, loaded);
        this.logStartOffset = loaded.logStartOffset();
        this.logEndOffset = loaded.logEndOffset();
        this.lastCheckpoint = loaded.checkpoint();
    }

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
        boolean created;
        try {
            Files.createDirectory(dir);
            created = true;
        } catch (FileAlreadyExistsException e) {
            created = false;
        } catch (NoSuchFileException e) {
            Files.createDirectories(dir);
            created = true;
        }
        EpochCache epochs = new EpochCache();
        ProducerStateTable producers = new ProducerStateTable();
        LogLoader loader = new LogLoader(dir, config, epochs, producers);
        LogLoader.Loaded loaded = created ? loader.createEmpty() : loader.load(truncateToCheckpoint);
        return new SegmentLog(dir, config, epochs, producers, loaded);
    }

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
            AppendPlan plan = AppendPlan.of(batches, validator, cfg, appendTimeMs, logEndOffset, producers);
            long logAppendTime = cfg.isLogAppendTime() ? appendTimeMs : -1;
            if (plan.allDuplicates()) {
                return new AppendInfo(plan.baseOffset(), plan.lastOffset(), plan.duplicateLogAppendTime(),
                        logStartOffset, 0, true);
            }
            if (!epochs.assign(leaderEpoch, plan.firstNewOffset())) {
                LOG.warn("{}: append with leader epoch {} older than the latest epoch {}", dir, leaderEpoch,
                        epochs.latestEpoch());
            }
            try {
                segments.write(plan, leaderEpoch, appendTimeMs, cfg);
            } catch (IOException e) {
                failure = "append failed: " + e;
                LOG.error("{}: append failed; the log must be reopened", dir, e);
                throw new ConsensusException(Reason.STORAGE, "Writing to the partition log in " + dir + " failed: "
                        + e.getMessage(), -1, e);
            }
            logEndOffset = plan.nextOffset();
            plan.commitProducers(producers);
            return new AppendInfo(plan.baseOffset(), plan.lastOffset(), logAppendTime, logStartOffset,
                    plan.newRecords(), false);
        }
    }

    /**
     * Appends record batches copied from another replica of this partition (a partition moving between replica
     * sets), as they are: offsets, partition leader epochs, timestamps and CRCs are kept, and the producer state and
     * leader-epoch cache are rebuilt from their headers, as recovery does. Batches that end before the log end are
     * skipped (copied already); the next one must start at the log end. Nothing is fsynced.
     *
     * @return the log end offset afterwards
     * @throws ConsensusException CORRUPT_RECORD for a damaged batch, OFFSET_OUT_OF_RANGE for a gap, STORAGE
     */
    public long appendCopied(ByteBuffer batches) throws ConsensusException {
        synchronized (writeLock) {
            ensureWritable();
            AppendPlan plan = AppendPlan.copied(batches, logEndOffset);
            if (plan.count() == 0) {
                return logEndOffset;
            }
            try {
                segments.write(plan, epochs.latestEpoch(), System.currentTimeMillis(), config);
            } catch (IOException e) {
                failure = "copy failed: " + e;
                throw new ConsensusException(Reason.STORAGE, "Writing to the partition log in " + dir + " failed: "
                        + e.getMessage(), -1, e);
            }
            for (int i = 0; i < plan.count(); i++) {
                ByteBuffer header = plan.buffer().duplicate();
                header.position(plan.position(i)).limit(plan.position(i) + Batches.HEADER_SIZE);
                LogLoader.replayBatch(header.slice(), epochs, producers);
            }
            logEndOffset = plan.nextOffset();
            return logEndOffset;
        }
    }

    /**
     * Creates an empty log in {@code dir} (removing whatever is there) that starts at {@code startOffset}, with a
     * checkpoint at Raft entry {@code appliedIndex} / {@code appliedTerm}: the start of a replica that is filled
     * with {@link #appendCopied}.
     */
    public static SegmentLog createEmpty(Path dir, LogConfig config, long startOffset, long appliedIndex,
            long appliedTerm) throws IOException {
        CheckpointFiles.writeEmptyLog(Objects.requireNonNull(dir, "dir"), startOffset, appliedIndex, appliedTerm);
        return open(dir, config);
    }

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
                return segments.read(offset, maxBytes, upper);
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
        if (timestamp == -3) {
            return segments.largestTimestamp(lso, epochs);
        }
        if (timestamp < 0) {
            throw new ConsensusException(Reason.INVALID_REQUEST, "Unsupported timestamp " + timestamp);
        }
        for (int attempt = 0; ; attempt++) {
            try {
                return segments.search(timestamp, lso, leo);
            } catch (ClosedChannelException e) {
                if (attempt >= 3 || Thread.currentThread().isInterrupted()) {
                    throw new ConsensusException(Reason.STORAGE, "Searching " + dir + " was interrupted", -1, e);
                }
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
                segments.deleteOldest(Retention.belowLogStart(segments, offset));
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
            try {
                int k = Retention.breached(segments, config, nowMs);
                if (k == 0) {
                    return Collections.emptyList();
                }
                long newStart = segments.baseOffset(k);
                if (newStart > logStartOffset) {
                    advanceLogStart(newStart);
                }
                return segments.deleteOldest(k);
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

    /** Forgets idempotent producers whose last append is more than {@code maxIdleMs} before {@code nowMs}. */
    public int expireProducers(long nowMs, long maxIdleMs) {
        synchronized (writeLock) {
            return producers.expire(nowMs, maxIdleMs);
        }
    }

    /**
     * Makes everything appended so far durable (fsync of the segments written since the last flush and of their
     * indexes), then atomically replaces the {@code checkpoint} file with {@code appliedIndex}, {@code appliedTerm},
     * the log end and start offsets, the producer state and the epoch cache.
     */
    public void checkpoint(long appliedIndex, long appliedTerm) throws IOException {
        synchronized (writeLock) {
            ensureWritableIo();
            segments.flush(false);
            long leo = logEndOffset;
            CheckpointFiles.write(dir, appliedIndex, appliedTerm, leo, logStartOffset, epochs, producers);
            segments.markDirectorySynced();
            lastCheckpoint = new Checkpoint(appliedIndex, appliedTerm, leo);
        }
    }

    /**
     * Checkpoints the log as {@link #checkpoint} does and, under the same lock, links its segment and state files into
     * {@code target} (created if needed): {@code target} then holds the log exactly as of that checkpoint, whatever the
     * log does next. The last segment file may grow past the size returned for it; a log opened on a copy of
     * {@code target} cuts it back to the checkpoint. Index files are not linked (the log rebuilds them on open).
     * Blocking file I/O; any thread (it takes the write lock).
     *
     * @return the files linked, by name, with the bytes of each that belong to the checkpoint
     */
    public List<LinkedFile> checkpointInto(long appliedIndex, long appliedTerm, Path target) throws IOException {
        synchronized (writeLock) {
            checkpoint(appliedIndex, appliedTerm);
            return SnapshotLinks.link(dir, target);
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
            segments.flush(true);
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
        return segments.sizeInBytes();
    }

    public int segmentCount() {
        return segments.count();
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
            segments.close();
        }
    }

    /** Closes the log and removes its directory (topic deletion). */
    public void delete() throws IOException {
        synchronized (writeLock) {
            close();
            CheckpointFiles.deleteRecursively(dir);
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
        return "SegmentLog[" + dir + ", " + logStartOffset + ".." + logEndOffset + ", " + segments.count()
                + " segment(s)]";
    }
}
