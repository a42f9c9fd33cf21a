package io.chronik.log.internal;

import io.chronik.api.consensus.PartitionLog;

/** Value types returned through the api's result interfaces. */
public final class Results {
    private Results() {
    }

    /** A record located by timestamp. */
    public record TimestampAndOffset(long timestamp, long offset, int leaderEpoch)
            implements PartitionLog.TimestampOffset {
    }

    /** The end of a leader epoch. */
    public record EpochEnd(int leaderEpoch, long endOffset) implements PartitionLog.EpochEndOffset {
    }
}
