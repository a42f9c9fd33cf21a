package io.chronik.api.consensus;

/**
 * The outcome of a preferred leader election for one partition ({@link ClusterMetadata#electPreferredLeaders}).
 * A partition's preferred leader is its first replica ({@link PartitionInfo#replicas()}), as in Kafka.
 *
 * @since 1.3
 */
public enum ElectionResult {
    /** The preferred replica leads the partition now (leadership was moved to it). */
    ELECTED,
    /** The preferred replica already led the partition; nothing was done. */
    NOT_NEEDED,
    /** The preferred replica cannot lead now (not registered, not running, or not caught up in time). */
    PREFERRED_NOT_AVAILABLE,
    /** No such topic or partition. */
    UNKNOWN_PARTITION
}
