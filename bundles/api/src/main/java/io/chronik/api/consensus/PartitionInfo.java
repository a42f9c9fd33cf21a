package io.chronik.api.consensus;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** Placement and leadership of one partition. Immutable snapshot. */
@ProviderType
public interface PartitionInfo {
    String topic();

    int partition();

    /** The node id of the current leader (the leader of the partition's Raft group), or -1 if none. */
    int leader();

    /** The leader epoch: the term of the partition's Raft group. */
    int leaderEpoch();

    /** The node ids holding a replica. */
    List<Integer> replicas();

    /** The node ids of replicas currently caught up with the leader. */
    List<Integer> inSyncReplicas();

    /**
     * The node ids of replicas on fenced brokers (Kafka's {@code offline_replicas}), in replica order.
     *
     * @since 1.3
     */
    default List<Integer> offlineReplicas() {
        return List.of();
    }
}
