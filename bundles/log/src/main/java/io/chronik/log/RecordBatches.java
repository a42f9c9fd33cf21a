package io.chronik.log;

import java.nio.ByteBuffer;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.log.internal.BatchValidator;

/**
 * Checks of Kafka magic v2 record batches that need no log, with the same rules {@link SegmentLog#append} applies.
 * A Raft leader uses {@link #checkIntegrity} to keep obviously corrupt produce data out of its replicated log; the
 * partition log validates everything again (deterministically, on every replica) when the entry is applied.
 */
public final class RecordBatches {
    private RecordBatches() {
    }

    /**
     * Checks that {@code batches}, from its position to its limit, holds one or more complete magic v2 record
     * batches, each with a valid CRC32C. Neither the buffer's content nor its position is modified; the caller
     * keeps ownership. Thread-safe, does not block (reads the bytes once to compute the checksums).
     *
     * @throws ConsensusException CORRUPT_RECORD if the buffer is empty, ends inside a batch, holds a batch of
     *                            another magic or a batch whose CRC does not match
     */
    public static void checkIntegrity(ByteBuffer batches) throws ConsensusException {
        BatchValidator.checkIntegrity(batches);
    }
}
