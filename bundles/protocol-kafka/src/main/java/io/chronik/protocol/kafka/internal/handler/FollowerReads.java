package io.chronik.protocol.kafka.internal.handler;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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

    /** Why a follower answers a consumer's fetch of a partition with NOT_LEADER_OR_FOLLOWER. */
    enum Refusal {
        /** Follower fetching is off ({@code fetch.from.followers=false}). */
        DISABLED("disabled"),
        /** This node is not in the partition's in-sync replicas, or the partition has no leader. */
        NOT_IN_SYNC("not_in_sync"),
        /** The partition's ReadIndex barrier failed or took longer than {@code fetch.follower.max.wait.ms}. */
        READ_INDEX_FAILED("read_index_failed"),
        /** This node's broker is fenced (its session expired): it may be cut off from the leader. */
        FENCED("fenced");

        private final String label;

        Refusal(String label) {
            this.label = label;
        }

        /** The value of the metrics' {@code reason} label. */
        String label() {
            return label;
        }
    }

    /** Whether the broker {@code nodeId} is registered in {@code brokers} and fenced. */
    static boolean isFenced(Collection<? extends BrokerInfo> brokers, int nodeId) {
        for (BrokerInfo b : brokers) {
            if (b.nodeId() == nodeId) {
                return b.fenced();
            }
        }
        return false;
    }

    /**
     * Whether this node may serve a consumer's fetch of {@code log} as a follower: its own broker must not be fenced
     * (a fenced broker may be cut off from the leader, so it sends consumers back), it must be in the partition's
     * in-sync replicas (as the metadata says: a follower that fell behind or was cut off sends consumers back to the
     * leader), the partition must have a leader, and its ReadIndex barrier must not have failed.
     *
     * @param localFenced whether this node's broker is fenced ({@link #isFenced})
     * @return null if it may serve, else why not (answered NOT_LEADER_OR_FOLLOWER)
     */
    static Refusal check(PartitionInfo partition, PartitionLog log, int localNodeId, boolean localFenced,
            Set<PartitionLog> unavailable) {
        if (localFenced) {
            return Refusal.FENCED;
        }
        if (!partition.inSyncReplicas().contains(localNodeId) || partition.leader() < 0) {
            return Refusal.NOT_IN_SYNC;
        }
        if (unavailable.contains(log)) {
            return Refusal.READ_INDEX_FAILED;
        }
        return null;
    }
}
