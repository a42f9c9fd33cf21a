package io.chronik.api.consensus;

/**
 * A consensus operation failed. The {@link Reason} tells the caller what to do; the Kafka protocol bundle maps
 * each reason to one Kafka error code.
 */
public class ConsensusException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why an operation failed. */
    public enum Reason {
        /** This node does not lead the group; retry against {@link ConsensusException#leaderHint()}. */
        NOT_LEADER,
        /** No leader or quorum right now; retriable. */
        NOT_AVAILABLE,
        /** The operation did not complete in time; its outcome is unknown. */
        TIMEOUT,
        UNKNOWN_TOPIC,
        UNKNOWN_PARTITION,
        TOPIC_EXISTS,
        /** A topic name that Kafka does not allow. */
        INVALID_TOPIC,
        INVALID_PARTITIONS,
        INVALID_REPLICATION_FACTOR,
        INVALID_REQUEST,
        INVALID_CONFIG,
        /** A record timestamp outside the topic's allowed range. */
        INVALID_TIMESTAMP,
        OFFSET_OUT_OF_RANGE,
        CORRUPT_RECORD,
        RECORD_TOO_LARGE,
        DUPLICATE_SEQUENCE,
        OUT_OF_ORDER_SEQUENCE,
        /** The batch's producer epoch is older than the producer's current epoch. */
        INVALID_PRODUCER_EPOCH,
        PRODUCER_FENCED,
        /** Local storage failed. */
        STORAGE,
        /**
         * An explicit replica assignment that cannot be honoured: an unknown broker, a broker named twice in one
         * replica list, an empty list, or partitions with different replica counts.
         *
         * @since 1.3
         */
        INVALID_REPLICA_ASSIGNMENT,
        /**
         * Cancelling the reassignment of a partition that is not being reassigned.
         *
         * @since 1.4
         */
        NO_REASSIGNMENT_IN_PROGRESS
    }

    private final Reason reason;
    private final int leaderHint;

    public ConsensusException(Reason reason, String message) {
        this(reason, message, -1, null);
    }

    public ConsensusException(Reason reason, String message, int leaderHint, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.leaderHint = leaderHint;
    }

    public Reason reason() {
        return reason;
    }

    /** The node id believed to be the leader, or -1 if unknown. Meaningful for {@link Reason#NOT_LEADER}. */
    public int leaderHint() {
        return leaderHint;
    }
}
