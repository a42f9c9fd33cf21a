package io.chronik.log;

import io.chronik.api.consensus.PartitionLog;

/**
 * The outcome of {@link SegmentLog#append}.
 *
 * @param baseOffset     the offset of the first record of the first batch (for a duplicate: its original offset)
 * @param lastOffset     the offset of the last record of the last batch
 * @param logAppendTime  the append time if the topic uses LogAppendTime (for a duplicate: the original one), else -1
 * @param logStartOffset the log start offset after the append
 * @param recordCount    the number of records actually appended (0 for a duplicate)
 * @param duplicate      true if every batch was a retried duplicate of an already appended batch, so nothing
 *                       was written
 */
public record AppendInfo(long baseOffset, long lastOffset, long logAppendTime, long logStartOffset, int recordCount,
                         boolean duplicate) implements PartitionLog.AppendResult {
}
