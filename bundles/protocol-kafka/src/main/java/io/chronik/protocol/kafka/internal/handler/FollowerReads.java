package io.chronik.protocol.kafka.internal.handler;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.common.protocol.Errors;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;

/**
 * The rules of follower reads (KIP-392 with read-your-writes): which replica a leader names to a consumer in a rack,
 * and whether this node, a follower, may serve a fetch. Stateless; any thread.
 */
final class FollowerReads {
    private FollowerReads() {
    }

    /**
     * Kafka's {@code RackAwareReplicaSelector}: for a consumer in {@code rackId}, no other replica if the leader is in
     * that rack (or the consumer names none), else an in-sync follower in that rack (the one the partition number
     * picks among them, so consumers of different partitions spread), else none.
     *
     * @return the node id to name as preferred read replica, or -1 to keep fetching from the leader
     */
    static int preferredReadReplica(PartitionInfo partition, Collection<? extends BrokerInfo> brokers, String rackId) {
        if (rackId == null || rackId.isEmpty()) {
            return -1;
        }
        Map<Integer, String> racks = new HashMap<>();
        for (BrokerInfo b : brokers) {
            if (!b.fenced()) {
                racks.put(b.nodeId(), b.rack());
            }
        }
        if (rackId.equals(racks.get(partition.leader()))) {
            return -1;
        }
        List<Integer> candidates = partition.inSyncReplicas().stream()
                .filter(id -> id != partition.leader() && rackId.equals(racks.get(id))).sorted().toList();
        return candidates.isEmpty() ? -1 : candidates.get(Math.floorMod(partition.partition(), candidates.size()));
    }

    /**
     * Whether this node may serve a consumer's fetch of {@code log} as a follower: it must be in the partition's
     * in-sync replicas (as the metadata says: a follower that fell behind or was cut off sends consumers back to the
     * leader) and its ReadIndex barrier must not have failed.
     */
    static Errors check(PartitionInfo partition, PartitionLog log, int localNodeId, Set<PartitionLog> unavailable) {
        if (unavailable.contains(log) || !partition.inSyncReplicas().contains(localNodeId)
                || partition.leader() < 0) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        return Errors.NONE;
    }
}
