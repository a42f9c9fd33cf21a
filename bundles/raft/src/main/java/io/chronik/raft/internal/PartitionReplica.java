package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.log.AppendInfo;
import io.chronik.log.LinkedFile;
import io.chronik.log.LogConfig;
import io.chronik.log.RecordBatches;
import io.chronik.log.SegmentLog;

/**
 * The local replica of one partition: its {@link SegmentLog}, written only by its data group's apply thread (and
 * the retention task, under {@link #writeLock}), read concurrently.
 *
 * <p>Two kinds of callers use it, on different threads:
 * <ul>
 * <li><b>Produce and read side</b> (the {@link PartitionLog} methods; Kafka I/O threads, any thread, never
 * blocking). {@link #append} and {@link #deleteRecordsBefore} check leadership and hand the operation to the
 * group's {@link GroupAppender}, which replicates it as a Raft entry; they never write the log themselves, and
 * their stages complete once the entry has been applied. {@link #read}, the offset lookups and
 * {@link #awaitBeyond} read the log concurrently, without the write lock.
 * <li><b>Apply side</b> ({@link #applyAppend} and {@link #applyDeleteRecords}; the data group's state machine
 * apply thread, one per group). Committed entries change the log in Raft log order on every replica, the leader
 * included. The other writers are {@link #checkpoint} (when the group takes a snapshot), the node's retention
 * task ({@link #applyRetention}), metadata config changes ({@link #updateConfig}) and {@link #close} /
 * {@link #delete}. Every writer holds {@link #writeLock}; after an append, a close or a delete, the waiters of
 * {@link #awaitBeyond} that the log end has passed are completed, outside the lock.
 * </ul>
 * The two sides stay one class: a produce becomes a write only by coming back through the apply side, and both
 * sides work on the same log, the same closed flag and the same {@link EndOffsetWaiters}.
 */
final class PartitionReplica implements PartitionLog {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionReplica.class);

    private final String topic;
    private final int partition;
    private final UUID topicId;
    private final DataGroup group;
    /** Replaced only when a move's copy starts over ({@link #applyCopyStart}), under {@link #writeLock}. */
    private volatile SegmentLog log;
    private final Path dir;
    /** A replica a move is filling in its target group: not served, not written by producers, until promoted. */
    private volatile boolean staging;
    /** Added to the group's term to make the partition's leader epoch (see {@link PartitionMoves}). */
    private volatile int epochBase;
    /** The id of the move that fenced the partition in this (source) group, or -1. */
    private volatile long fencedBy;
    /** The id of the move that fills (or filled) this replica, or -1. */
    private volatile long moveId;
    /** The index of the metadata entry that completed the move that filled this replica, or -1. */
    private volatile long movedInAt;
    /** Serialises the writers of the log: the apply thread, the retention task, checkpoints. */
    final Object writeLock = new Object();
    /** Entries at or below this Raft index are already in the log (from its checkpoint): not applied again. */
    volatile long checkpointIndex;
    private final EndOffsetWaiters waiters;
    private volatile boolean closed;

    PartitionReplica(String topic, int partition, UUID topicId, DataGroup group, SegmentLog log, Path dir) {
        this(topic, partition, topicId, group, log, dir, false);
    }

    /** @param staging whether a move is filling the replica (see {@link #isStaging}) */
    PartitionReplica(String topic, int partition, UUID topicId, DataGroup group, SegmentLog log, Path dir,
            boolean staging) {
        this.staging = staging;
        this.epochBase = (int) ReplicaMarkers.read(dir, ReplicaMarkers.EPOCH_BASE, 0);
        this.fencedBy = ReplicaMarkers.read(dir, ReplicaMarkers.FENCE, -1);
        this.moveId = ReplicaMarkers.read(dir, ReplicaMarkers.MOVE_ID, -1);
        this.movedInAt = ReplicaMarkers.read(dir, ReplicaMarkers.MOVED_IN_AT, -1);
        this.topic = topic;
        this.partition = partition;
        this.topicId = topicId;
        this.group = group;
        this.log = log;
        this.dir = dir;
        this.checkpointIndex = log.lastCheckpoint().appliedIndex();
        this.waiters = new EndOffsetWaiters(() -> this.log.logEndOffset(), () -> closed);
    }

    static String key(String topic, int partition) {
        return topic + "-" + partition;
    }

    String key() {
        return key(topic, partition);
    }

    UUID topicId() {
        return topicId;
    }

    DataGroup group() {
        return group;
    }

    SegmentLog segmentLog() {
        return log;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public int partition() {
        return partition;
    }

    @Override
    public boolean isLeader() {
        return group.isLeader();
    }

    @Override
    public int leaderEpoch() {
        return group.term() + epochBase;
    }

    int epochBase() {
        return epochBase;
    }

    /** Whether a move is still filling this replica in its target group (it is not the partition's replica yet). */
    boolean isStaging() {
        return staging;
    }

    /**
     * The move that filled this replica is done, as of metadata entry {@code index}: it is the partition's replica
     * now (durably noted, so that replaying older metadata leaves it alone).
     */
    void promote(long index) throws IOException {
        synchronized (writeLock) {
            if (!closed) {
                ReplicaMarkers.write(dir, ReplicaMarkers.MOVED_IN_AT, index);
            }
            movedInAt = index;
            staging = false;
        }
    }

    /** The index of the metadata entry that completed the move that filled this replica, or -1. */
    long movedInAt() {
        return movedInAt;
    }

    /** The id of the move that fills (or filled) this replica, or -1. */
    long moveId() {
        return moveId;
    }

    /** Notes (durably) that move {@code id} fills this replica. */
    void markMoveId(long id) throws IOException {
        synchronized (writeLock) {
            if (moveId != id && !closed) {
                ReplicaMarkers.write(dir, ReplicaMarkers.MOVE_ID, id);
                moveId = id;
            }
        }
    }

    /** The id of the move that fenced the partition in this group, or -1. */
    long fencedBy() {
        return fencedBy;
    }

    Path directory() {
        return dir;
    }

    @Override
    public CompletionStage<AppendResult> append(ByteBuffer batches) {
        CompletionStage<AppendResult> result = enqueueAppend(batches);
        group.appender().drain();
        return result;
    }

    /** Checks and queues an append in the group's appender; the caller drains it ({@link LocalReplicas#appendAll}). */
    CompletionStage<AppendResult> enqueueAppend(ByteBuffer batches) {
        if (closed) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.NOT_AVAILABLE, key() + " is closed"));
        }
        if (!group.isLeader() || staging || fencedBy >= 0) {
            return CompletableFuture.failedFuture(notWritable());
        }
        try {
            RecordBatches.checkIntegrity(batches);
        } catch (ConsensusException e) {
            return CompletableFuture.failedFuture(e);
        }
        return group.appender().enqueue(DataEntry.APPEND, this, UnsafeByteOperations.unsafeWrap(batches.slice()),
                System.currentTimeMillis()).thenApply(PartitionReplica::appended);
    }

    @Override
    public ByteBuffer read(long offset, int maxBytes) throws ConsensusException {
        long hw = log.logEndOffset();
        long start = log.logStartOffset();
        if (offset < start || offset > hw) {
            throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "offset " + offset + " is outside [" + start + ", "
                    + hw + "] of " + key());
        }
        if (offset == hw) {
            return ByteBuffer.allocate(0);
        }
        return log.read(offset, maxBytes, hw);
    }

    @Override
    public CompletionStage<Void> readBarrier() {
        // a new leader may not have applied its predecessors' last entries yet; ReadIndex waits for them
        if (group.isLeaderReady()) {
            return CompletableFuture.completedFuture(null);
        }
        return group.readIndex();
    }

    @Override
    public CompletionStage<Void> awaitBeyond(long offset) {
        return waiters.await(offset);
    }

    @Override
    public long highWatermark() {
        return log.logEndOffset();
    }

    @Override
    public long logStartOffset() {
        return log.logStartOffset();
    }

    @Override
    public TimestampOffset offsetForTimestamp(long timestamp) throws ConsensusException {
        if (timestamp == -1) {
            return new TimestampOffsetValue(-1, log.logEndOffset(), -1);
        }
        if (timestamp == -2) {
            return new TimestampOffsetValue(-1, log.logStartOffset(), -1);
        }
        return log.offsetForTimestamp(timestamp);
    }

    @Override
    public EpochEndOffset endOffsetForLeaderEpoch(int leaderEpoch) {
        return log.endOffsetForLeaderEpoch(leaderEpoch);
    }

    @Override
    public CompletionStage<Long> deleteRecordsBefore(long offset) {
        if (!group.isLeader() || staging || fencedBy >= 0) {
            return CompletableFuture.failedFuture(notWritable());
        }
        long hw = log.logEndOffset();
        if (offset == -1) {
            offset = hw; // Kafka: -1 = the high watermark
        }
        if (offset < 0 || offset > hw) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.OFFSET_OUT_OF_RANGE,
                    "offset " + offset + " is outside [0, " + hw + "] of " + key()));
        }
        return group.appender().submit(DataEntry.DELETE_RECORDS, this,
                org.apache.ratis.thirdparty.com.google.protobuf.ByteString.EMPTY, offset).thenApply(PartitionReplica::recordsDeleted);
    }

    /** NOT_LEADER: this node does not lead the group, or the partition is moving (a retriable error for clients). */
    private ConsensusException notWritable() {
        if (fencedBy >= 0 || staging) {
            return new ConsensusException(Reason.NOT_LEADER, key() + " is moving to other replicas", -1, null);
        }
        return new ConsensusException(Reason.NOT_LEADER, "not the leader of " + key(), group.leaderNodeId(), null);
    }

    private static AppendResult appended(OpResult r) {
        if (r instanceof OpResult.Appended a) {
            return a.info();
        }
        throw unexpected(r);
    }

    private static Long recordsDeleted(OpResult r) {
        if (r instanceof OpResult.RecordsDeleted d) {
            return d.logStartOffset();
        }
        throw unexpected(r);
    }

    /**
     * An outcome that does not answer the request: cannot happen ({@link OpResult.AlreadyApplied} only comes from
     * replayed entries, which carry the origin of an earlier run and so complete no request of this one).
     */
    private static CompletionException unexpected(OpResult r) {
        return new CompletionException(new ConsensusException(Reason.STORAGE, "unexpected outcome " + r));
    }

    /** Appends a committed entry's batches (apply thread) and wakes the readers waiting for them. */
    AppendInfo applyAppend(ByteBuffer batches, int leaderEpoch, long appendTimeMs) throws ConsensusException {
        AppendInfo info;
        synchronized (writeLock) {
            if (fencedBy >= 0) {
                throw notWritable();
            }
            info = log.append(batches, leaderEpoch, appendTimeMs);
        }
        waiters.wake();
        return info;
    }

    /** Applies a committed DeleteRecords (apply thread): the new log start offset. */
    long applyDeleteRecords(long offset) throws ConsensusException {
        long logStart;
        synchronized (writeLock) {
            if (fencedBy >= 0) {
                throw notWritable();
            }
            long end = log.logEndOffset();
            if (offset > end) {
                throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "offset " + offset + " beyond the log end " + end);
            }
            int segments = log.segmentCount();
            logStart = log.deleteRecordsBefore(offset);
            if (log.segmentCount() == segments) {
                return logStart;
            }
        }
        group.pruneSnapshots(dir, logStart); // segments went: outside the write lock, as retention does
        return logStart;
    }

    /**
     * Applies a move's fence (source group, apply thread): from this entry on, writes to the partition fail here, so
     * the log ends where it is. Durable before it returns, so that a restart keeps the fence.
     */
    long applyFence(long moveId) throws ConsensusException {
        synchronized (writeLock) {
            if (fencedBy != moveId) {
                writeMarker(ReplicaMarkers.FENCE, moveId);
                fencedBy = moveId;
            }
            return log.logEndOffset();
        }
    }

    /** Lifts the fence of a cancelled move (source group, apply thread); a fence of another move stays. */
    long applyUnfence(long moveId) throws ConsensusException {
        synchronized (writeLock) {
            if (fencedBy == moveId) {
                try {
                    ReplicaMarkers.delete(dir, ReplicaMarkers.FENCE);
                } catch (java.io.IOException e) {
                    throw new ConsensusException(Reason.STORAGE, "unfencing " + key() + " failed: " + e, -1, e);
                }
                fencedBy = -1;
            }
            return log.logEndOffset();
        }
    }

    /**
     * Starts a move's copy (target group, apply thread) at {@code startOffset}: keeps what an earlier copy of the
     * same partition already put here if it covers {@code startOffset}, else starts an empty log there, checkpointed
     * at this entry (so that a replay never re-applies older entries of this group to it).
     */
    long applyCopyStart(long startOffset, long index, long term) throws ConsensusException {
        synchronized (writeLock) {
            SegmentLog current = log;
            if (current.logStartOffset() <= startOffset && current.logEndOffset() >= startOffset
                    && current.logEndOffset() > current.logStartOffset()) {
                return current.logEndOffset();
            }
            try {
                LogConfig config = current.config();
                current.close();
                log = SegmentLog.createEmpty(dir, config, startOffset, index, term);
                if (moveId >= 0) {
                    ReplicaMarkers.write(dir, ReplicaMarkers.MOVE_ID, moveId); // the directory was emptied
                }
            } catch (java.io.IOException e) {
                throw new ConsensusException(Reason.STORAGE, "starting the copy of " + key() + " failed: " + e, -1, e);
            }
            checkpointIndex = Math.max(checkpointIndex, index);
            return startOffset;
        }
    }

    /** Appends copied batches (target group, apply thread); returns the log end afterwards. */
    long applyCopy(ByteBuffer batches) throws ConsensusException {
        long end;
        synchronized (writeLock) {
            end = log.appendCopied(batches);
        }
        waiters.wake();
        return end;
    }

    /** Ends a move's copy (target group, apply thread): the source's log start offset and the epoch base. */
    long applySeal(long logStartOffset, int newEpochBase) throws ConsensusException {
        synchronized (writeLock) {
            if (logStartOffset > log.logStartOffset() && logStartOffset <= log.logEndOffset()) {
                log.deleteRecordsBefore(logStartOffset);
            }
            if (newEpochBase != epochBase) {
                writeMarker(ReplicaMarkers.EPOCH_BASE, newEpochBase);
                epochBase = newEpochBase;
            }
            return log.logEndOffset();
        }
    }

    private void writeMarker(String name, long value) throws ConsensusException {
        try {
            ReplicaMarkers.write(dir, name, value);
        } catch (java.io.IOException e) {
            throw new ConsensusException(Reason.STORAGE, "writing " + name + " of " + key() + " failed: " + e, -1, e);
        }
    }

    /** Checkpoints the log as of Raft entry {@code index} (the group's snapshot); nothing once closed. */
    void checkpoint(long index, long term) throws IOException {
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            log.checkpoint(index, term);
            checkpointIndex = Math.max(checkpointIndex, index);
        }
    }

    /**
     * Checkpoints the log as of Raft entry {@code index} and links its files into {@code snapshotDir}, in a
     * subdirectory named like the replica's directory (the group's snapshot); null once closed.
     */
    SnapshotManifest.Partition snapshotInto(long index, long term, Path snapshotDir) throws IOException {
        synchronized (writeLock) {
            if (closed) {
                return null;
            }
            String dirName = dir.getFileName().toString();
            List<LinkedFile> files = log.checkpointInto(index, term, snapshotDir.resolve(dirName));
            checkpointIndex = Math.max(checkpointIndex, index);
            return new SnapshotManifest.Partition(topicId, topic, partition, dirName, staging, log.logStartOffset(),
                    log.lastCheckpoint().logEndOffset(), files);
        }
    }

    void applyRetention(long nowMs) {
        long logStart;
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            try {
                List<Path> deleted = log.applyRetention(nowMs);
                if (deleted.isEmpty()) {
                    return;
                }
                LOG.info("retention deleted {} segment(s) of {}", deleted.size(), key());
                logStart = log.logStartOffset();
            } catch (ConsensusException e) {
                LOG.warn("retention of {} failed: {}", key(), e.getMessage());
                return;
            }
        }
        group.pruneSnapshots(dir, logStart); // outside the write lock: a snapshot being taken holds it
    }

    void updateConfig(LogConfig config) {
        synchronized (writeLock) {
            log.updateConfig(config);
        }
    }

    void close() {
        synchronized (writeLock) {
            if (closed) {
                return;
            }
            closed = true;
            try {
                log.close();
            } catch (Exception e) {
                LOG.warn("closing the log of {} failed", key(), e);
            }
        }
        waiters.wake();
    }

    /** Closes the log and deletes its files (topic deletion). */
    void delete() {
        synchronized (writeLock) {
            closed = true;
            try {
                log.delete();
            } catch (Exception e) {
                LOG.warn("deleting the log of {} in {} failed", key(), dir, e);
            }
        }
        waiters.wake();
    }

    boolean isClosed() {
        return closed;
    }

    record TimestampOffsetValue(long timestamp, long offset, int leaderEpoch) implements TimestampOffset {
    }

    @Override
    public String toString() {
        return "PartitionReplica[" + key() + ", group " + group.groupNo() + (staging ? ", staging" : "") + "]";
    }
}
