package io.chronik.protocol.kafka.internal.group;

/**
 * The group coordinator's settings (Kafka's broker config names in parentheses).
 *
 * @param initialRebalanceDelayMs   how long the first rebalance of an empty group waits for more members
 *                                  ({@code group.initial.rebalance.delay.ms})
 * @param minSessionTimeoutMs       smallest session timeout a member may ask for ({@code group.min.session.timeout.ms})
 * @param maxSessionTimeoutMs       largest session timeout a member may ask for ({@code group.max.session.timeout.ms})
 * @param maxGroupSize              most members one group may have ({@code group.max.size})
 * @param offsetsTopicPartitions    partitions of {@code __consumer_offsets}, fixed once the topic exists
 *                                  ({@code offsets.topic.num.partitions})
 * @param offsetsTopicReplication   replication factor of {@code __consumer_offsets}, capped by the number of nodes the
 *                                  cluster is configured with; the topic is created once that many brokers have
 *                                  registered ({@code offsets.topic.replication.factor})
 * @param offsetsRetentionMs        how long the offsets of a group without members are kept
 *                                  ({@code offsets.retention.minutes}, here in ms)
 * @param retentionCheckIntervalMs  how often expired offsets are looked for ({@code offsets.retention.check.interval.ms})
 * @param offsetMetadataMaxBytes    largest commit metadata string ({@code offset.metadata.max.bytes})
 */
public record GroupSettings(int initialRebalanceDelayMs, int minSessionTimeoutMs, int maxSessionTimeoutMs, int maxGroupSize,
        int offsetsTopicPartitions, int offsetsTopicReplication, long offsetsRetentionMs, long retentionCheckIntervalMs,
        int offsetMetadataMaxBytes) {

    public GroupSettings {
        if (initialRebalanceDelayMs < 0) {
            throw new IllegalArgumentException("group.initial.rebalance.delay.ms must not be negative: " + initialRebalanceDelayMs);
        }
        if (minSessionTimeoutMs <= 0 || maxSessionTimeoutMs < minSessionTimeoutMs) {
            throw new IllegalArgumentException("group.min.session.timeout.ms must be positive and at most "
                    + "group.max.session.timeout.ms: " + minSessionTimeoutMs + ", " + maxSessionTimeoutMs);
        }
        if (maxGroupSize <= 0) {
            throw new IllegalArgumentException("group.max.size must be positive: " + maxGroupSize);
        }
        if (offsetsTopicPartitions <= 0) {
            throw new IllegalArgumentException("offsets.topic.num.partitions must be positive: " + offsetsTopicPartitions);
        }
        if (offsetsTopicReplication <= 0) {
            throw new IllegalArgumentException("offsets.topic.replication.factor must be positive: " + offsetsTopicReplication);
        }
        if (offsetsRetentionMs <= 0 || retentionCheckIntervalMs <= 0) {
            throw new IllegalArgumentException("offsets.retention.minutes and offsets.retention.check.interval.ms must be positive");
        }
        if (offsetMetadataMaxBytes < 0) {
            throw new IllegalArgumentException("offset.metadata.max.bytes must not be negative: " + offsetMetadataMaxBytes);
        }
    }

    /** Kafka's defaults, except 8 offsets partitions instead of 50 (each partition is a Raft division). */
    public static GroupSettings defaults() {
        return new GroupSettings(3000, 6000, 1_800_000, Integer.MAX_VALUE, 8, 3, 7L * 24 * 3600 * 1000, 600_000, 4096);
    }

    public GroupSettings withInitialRebalanceDelayMs(int ms) {
        return new GroupSettings(ms, minSessionTimeoutMs, maxSessionTimeoutMs, maxGroupSize, offsetsTopicPartitions,
                offsetsTopicReplication, offsetsRetentionMs, retentionCheckIntervalMs, offsetMetadataMaxBytes);
    }

    public GroupSettings withMinSessionTimeoutMs(int ms) {
        return new GroupSettings(initialRebalanceDelayMs, ms, maxSessionTimeoutMs, maxGroupSize, offsetsTopicPartitions,
                offsetsTopicReplication, offsetsRetentionMs, retentionCheckIntervalMs, offsetMetadataMaxBytes);
    }
}
