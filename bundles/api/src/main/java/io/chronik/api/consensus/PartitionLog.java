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
 * {@link ConsensusException.Reason#NOT_LEADER}, {@link ConsensusException.Reason#DUPLICATE_SEQUENCE} (never:
 * a duplicate is answered with its original offsets instead), {@link ConsensusException.Reason#OUT_OF_ORDER_SEQUENCE},
 * {@link ConsensusException.Reason#PRODUCER_FENCED}, {@link ConsensusException.Reason#CORRUPT_RECORD},
 * {@link ConsensusException.Reason#RECORD_TOO_LARGE}, {@link ConsensusException.Reason#TIMEOUT} or
 * {@link ConsensusException.Reason#STORAGE}.
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

    /**
     * Appends the record batches in {@code batches} (one or more complete v2 batches, as produced by the
     * client). The provider assigns offsets; the bytes are otherwise stored as given. The buffer must not be
     * modified until the stage completes.
     */
    CompletionStage<AppendResult> append(ByteBuffer batches);

    /**
     * Reads whole record batches starting at the batch containing {@code offset}, up to about
     * {@code maxBytes} (at least one batch is returned if any exists, as Kafka does), never past the high
     * watermark.
     *
     * @throws ConsensusException with {@link ConsensusException.Reason#OFFSET_OUT_OF_RANGE} if {@code offset}
     *                            is below the log start offset or above the high watermark
     */
    ByteBuffer read(long offset, int maxBytes) throws ConsensusException;

    /**
     * Completes when this replica has applied everything the leader had committed at the time of the call
     * (Raft ReadIndex), so a following {@link #read} sees every write acknowledged before the call.
     * Completes immediately on the leader.
     */
    CompletionStage<Void> readBarrier();

    /**
     * Completes when the high watermark exceeds {@code offset}, or the log is closed. Used for Fetch long
     * polling; the caller applies its own time limit.
     */
    CompletionStage<Void> awaitBeyond(long offset);

    /** The first offset not yet committed: the next offset to be assigned once committed. */
    long highWatermark();

    /** The earliest offset still readable. */
    long logStartOffset();

    /**
     * The offset of the first record whose timestamp is at or after {@code timestamp}, or -1 if none.
     * Two negative values follow Kafka's ListOffsets: {@code -1} latest (high watermark), {@code -2} earliest,
     * {@code -3} the record with the greatest timestamp.
     */
    long offsetForTimestamp(long timestamp) throws ConsensusException;

    /** Advances the log start offset to {@code offset} (DeleteRecords); completes with the new start offset. */
    CompletionStage<Long> deleteRecordsBefore(long offset);

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
