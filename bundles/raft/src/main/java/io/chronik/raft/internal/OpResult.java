package io.chronik.raft.internal;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.log.AppendInfo;

/**
 * The outcome of applying one operation of a data entry to its partition log: what the state machine hands to the
 * {@link GroupAppender} for the request that carried the operation.
 */
sealed interface OpResult {

    /** An append was written to the log. */
    record Appended(AppendInfo info) implements OpResult {
    }

    /** DeleteRecords moved the log start offset; {@code logStartOffset} is the new one. */
    record RecordsDeleted(long logStartOffset) implements OpResult {
    }

    /** A move operation was applied; {@code logEndOffset} is the partition log's end afterwards. */
    record Moved(long logEndOffset) implements OpResult {
    }

    /** The partition log already had the operation from its checkpoint (a replay after restart): nothing applied. */
    record AlreadyApplied() implements OpResult {
    }

    /** The operation was refused or failed; the request fails with {@code error}. */
    record Failed(ConsensusException error) implements OpResult {
    }
}
