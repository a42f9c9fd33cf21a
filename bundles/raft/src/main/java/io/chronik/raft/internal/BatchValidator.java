package io.chronik.raft.internal;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The leader's cheap pre-check of produced bytes before they are replicated: complete v2 record batches with a
 * valid CRC32C. The partition log validates everything again (deterministically, on every replica) when the entry
 * is applied; this check only keeps obviously corrupt data out of the Raft log.
 */
final class BatchValidator {
    /** baseOffset(8) batchLength(4) partitionLeaderEpoch(4) magic(1) crc(4) attributes(2) ... */
    private static final int LOG_OVERHEAD = 12;
    private static final int MAGIC_OFFSET = 16;
    private static final int CRC_OFFSET = 17;
    private static final int ATTRIBUTES_OFFSET = 21;
    private static final int MIN_BATCH_SIZE = 61;

    private BatchValidator() {
    }

    /** Checks {@code batches} (not modified; its position is not moved). */
    static void validate(ByteBuffer batches) throws ConsensusException {
        ByteBuffer b = batches.duplicate();
        if (!b.hasRemaining()) {
            throw new ConsensusException(Reason.CORRUPT_RECORD, "no record batch");
        }
        while (b.hasRemaining()) {
            int start = b.position();
            if (b.remaining() < MIN_BATCH_SIZE) {
                throw new ConsensusException(Reason.CORRUPT_RECORD, "truncated record batch at byte " + (start - batches.position()));
            }
            int batchLength = b.getInt(start + 8);
            int size = LOG_OVERHEAD + batchLength;
            if (batchLength < MIN_BATCH_SIZE - LOG_OVERHEAD || size > b.remaining()) {
                throw new ConsensusException(Reason.CORRUPT_RECORD, "bad record batch length " + batchLength);
            }
            byte magic = b.get(start + MAGIC_OFFSET);
            if (magic != 2) {
                throw new ConsensusException(Reason.CORRUPT_RECORD, "unsupported record batch magic " + magic);
            }
            long storedCrc = b.getInt(start + CRC_OFFSET) & 0xffffffffL;
            CRC32C crc = new CRC32C();
            ByteBuffer covered = b.duplicate();
            covered.limit(start + size).position(start + ATTRIBUTES_OFFSET);
            crc.update(covered);
            if (crc.getValue() != storedCrc) {
                throw new ConsensusException(Reason.CORRUPT_RECORD, "record batch CRC mismatch");
            }
            b.position(start + size);
        }
    }
}
