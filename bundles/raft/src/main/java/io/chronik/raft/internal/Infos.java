package io.chronik.raft.internal;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.Reassignment;
import io.chronik.api.consensus.TopicInfo;

/** Immutable snapshots handed to consumers of the API. */
final class Infos {
    private Infos() {
    }

    record Topic(String name, UUID id, List<PartitionInfo> partitions, Map<String, String> configs) implements TopicInfo {
        Topic {
            partitions = List.copyOf(partitions);
            configs = Map.copyOf(configs);
        }
    }

    record Partition(String topic, int partition, int leader, int leaderEpoch, List<Integer> replicas,
            List<Integer> inSyncReplicas, List<Integer> offlineReplicas) implements PartitionInfo {
        Partition {
            replicas = List.copyOf(replicas);
            inSyncReplicas = List.copyOf(inSyncReplicas);
            offlineReplicas = List.copyOf(offlineReplicas);
        }
    }

    /**
     * What a node's own replica of a data group knows of the group's leadership.
     *
     * @param self   the node's id
     * @param leader the leader of {@code term} this replica knows of (itself if it leads), or -1
     * @param term   the replica's current term
     */
    record LocalLeader(int self, int leader, int term) {
    }

    record Move(String topic, int partition, List<Integer> currentReplicas, List<Integer> targetReplicas)
            implements Reassignment {
        Move {
            currentReplicas = List.copyOf(currentReplicas);
            targetReplicas = List.copyOf(targetReplicas);
        }
    }
}
