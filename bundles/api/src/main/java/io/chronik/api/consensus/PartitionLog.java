package io.chronik.api.consensus;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * One partition's replicated log of Kafka record batches (magic v2), as stored by the consensus provider.
 *
 * <p><b>Appends</b> are asynchronous: {@link #append} returns at once and the stage completes after the entry
 * is committed by a quorum of the partition's Raft group and applied locally, with the assigned offsets. A
 * stage that completes normally means the batches are durable under the configured flush policy and will
 * never be lost or reordered. It completes exceptionally with {@link ConsensusException} for
 * {@link ConsensusException.Reason#NOT_LEADER}, {@link ConsensusException.Reason#OUT_OF_ORDER_SEQUENCE},
 * {@link ConsensusException.Reason#INVALID_PRODUCER_EPOCH}, {@link ConsensusException.Reason#CORRUPT_RECORD} (malformed
 * or truncated batch, CRC mismatch, magic other than 2), {@link ConsensusException.Reason#RECORD_TOO_LARGE} (a batch
 * over the topic's {@code max.message.bytes}), {@link ConsensusException.Reason#INVALID_TIMESTAMP},
 * {@link ConsensusException.Reason#INVALID_REQUEST} (transactional or control batches),
 * {@link ConsensusException.Reason#NOT_AVAILABLE} (the log is closed), {@link ConsensusException.Reason#TIMEOUT} or
 * {@link ConsensusException.Reason#STORAGE}; a failed append changes nothing.
 *
 * <p><b>Idempotent producers</b> (batches with a producer id): the first batch of an unknown producer, and the first
 * of a known producer's newer epoch, must have base sequence 0; later ones must continue the sequence
 * ({@link ConsensusException.Reason#OUT_OF_ORDER_SEQUENCE} otherwise). A batch of an older epoch than the producer's
 * current one fails with {@link ConsensusException.Reason#INVALID_PRODUCER_EPOCH}. A retry of one of the producer's
 * last five batches is not appended again but answered with its original offsets (never
 * {@link ConsensusException.Reason#DUPLICATE_SEQUENCE}).
 *
 * <p><b>Reads</b> are synchronous local reads of committed data (at most up to the high watermark) and do not
 * block on the network; they may do disk I/O. On a follower, call {@link #readBarrier()} first to read one's
 * own acknowledged writes.
 *
 * <p><b>Thread-safety.</b> All methods are safe for concurrent use.
 */
@ProviderType
public interface PartitionLog {

    String topic();

    int partition();

    /** Whether this node currently leads the partition's Raft group. */
    boolean isLeader();

    /** The current leader epoch (the Raft group's term). */
    int leaderEpoch();

    /**
     * Appends the record batches in {@code batches} (one or more complete v2 batches, as produced by the
     * client). The provider assigns offsets (whatever base offsets the client wrote) and sets each batch's partition
     * leader epoch to the current {@link #leaderEpoch()}; the bytes are otherwise stored as given (with the append
     * time as max timestamp on a LogAppendTime topic). The buffer may be a slice of
     * a pooled network buffer: it stays valid and unmodified until the stage completes and is reused afterwards,
     * so the provider copies whatever it keeps.
     */
    CompletionStage<AppendResult> append(ByteBuffer batches);

    /**
     * Reads whole record batches starting at the batch containing {@code offset}, up to about
     * {@code maxBytes} (at least one batch is returned if any exists, as Kafka does), never past the high
     * watermark. Reading at the high watermark returns an empty buffer.
     *
     * <p>The returned buffer belongs to the caller and stays readable until it is dropped (it may be written to a
     * socket later, without a copy); it is never a view that the provider unmaps or reuses.
     *
     * @throws ConsensusException with {@link ConsensusException.Reason#OFFSET_OUT_OF_RANGE} if {@code offset}
     *                            is below the log start offset or above the high watermark
     */
    ByteBuffer read(long offset, int maxBytes) throws ConsensusException;

    /**
     * Completes when this replica has applied everything the leader had committed at the time of the call
     * (Raft ReadIndex), so a following {@link #read} sees every write acknowledged before the call.
     * Completes immediately on a leader that has applied an entry of its own term; a newly elected leader first
     * applies what its predecessors committed (so a new leader reading the whole log sees every acknowledged write).
     */
    CompletionStage<Void> readBarrier();

    /**
     * Completes when the high watermark exceeds {@code offset}, or the log is closed. Used for Fetch long
     * polling; the caller applies its own time limit. Each call returns its own stage; a caller that gives up
     * cancels it ({@code toCompletableFuture().cancel(false)}) and the provider then forgets the waiter, so idle
     * partitions do not accumulate waiters.
     */
    CompletionStage<Void> awaitBeyond(long offset);

    /** The first offset not yet committed: the next offset to be assigned once committed. */
    long highWatermark();

    /** The earliest offset still readable. */
    long logStartOffset();

    /**
     * ListOffsets: the first record whose timestamp is at or after {@code timestamp}, or {@code null} if there is
     * none. Negative values follow Kafka: {@code -1} latest (the high watermark, timestamp -1, leader epoch -1),
     * {@code -2} earliest (the log start offset, timestamp -1, leader epoch -1), {@code -3} the record with the
     * greatest timestamp.
     */
    TimestampOffset offsetForTimestamp(long timestamp) throws ConsensusException;

    /**
     * OffsetForLeaderEpoch: the largest epoch at most {@code leaderEpoch} that this log has, and the offset at
     * which that epoch ended (the start offset of the next epoch, or the high watermark for the current one).
     * Returns {@code null} if the log has no epoch at or below {@code leaderEpoch}.
     */
    EpochEndOffset endOffsetForLeaderEpoch(int leaderEpoch);

    /**
     * Advances the log start offset to {@code offset} (DeleteRecords; {@code -1} means the high watermark) and
     * completes with the new start offset; an offset at or below the current start leaves it as it is. Replicated
     * like an append: fails with {@link ConsensusException.Reason#NOT_LEADER} on a follower and with
     * {@link ConsensusException.Reason#OFFSET_OUT_OF_RANGE} for an offset above the high watermark.
     */
    CompletionStage<Long> deleteRecordsBefore(long offset);

    /** A record located by timestamp. */
    @ProviderType
    interface TimestampOffset {
        long timestamp();

        long offset();

        /** The leader epoch of the batch holding the record, or -1. */
        int leaderEpoch();
    }

    /** The end of a leader epoch in this log. */
    @ProviderType
    interface EpochEndOffset {
        int leaderEpoch();

        long endOffset();
    }

    /** The result of a committed append. */
    @ProviderType
    interface AppendResult {
        /** The offset assigned to the first record of the first batch. */
        long baseOffset();

        /** The broker time if the topic uses LogAppendTime, otherwise -1. */
        long logAppendTime();

        /** The log start offset after the append. */
        long logStartOffset();
    }
}
