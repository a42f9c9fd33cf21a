package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

import io.chronik.api.consensus.BrokerInfo;

/**
 * The replicated cluster metadata: an immutable value. The metadata state machine replaces it with a new value
 * on every applied change; readers on any thread see a consistent snapshot. Its binary form in metadata
 * snapshots is {@link MetadataSnapshotCodec}'s business.
 */
final class MetadataState {

    /**
     * A registered broker: its Kafka (advertised) address, its Raft address and whether it is fenced.
     *
     * @param fencedAt the index of the metadata entry that fenced the broker, or -1 while it is not fenced; it is
     *                 unfenced only once it has applied this entry (it then knows it was fenced and what changed)
     */
    record Broker(int nodeId, String host, int port, String rack, String raftHost, int raftPort, long fencedAt)
            implements BrokerInfo {
        /** An unfenced broker. */
        Broker(int nodeId, String host, int port, String rack, String raftHost, int raftPort) {
            this(nodeId, host, port, rack, raftHost, raftPort, -1);
        }

        @Override
        public boolean fenced() {
            return fencedAt >= 0;
        }

        Broker withFencedAt(long index) {
            return new Broker(nodeId, host, port, rack, raftHost, raftPort, index);
        }
    }

    /**
     * A topic.
     *
     * @param groups the data group number of each partition (index = partition number)
     */
    record Topic(String name, UUID id, Map<String, String> configs, List<Integer> groups) {
        Topic {
            configs = Collections.unmodifiableMap(new TreeMap<>(configs));
            groups = List.copyOf(groups);
        }
    }

    /** A data group and the nodes holding its replicas. */
    record Group(int no, List<Integer> replicas) {
        Group {
            replicas = List.copyOf(replicas);
        }
    }

    /** The last leader a data group reported through the metadata group (for nodes that do not host it). */
    record Leader(int nodeId, long term) {
    }

    static final MetadataState EMPTY = new MetadataState(null, Map.of(), Map.of(), Map.of(), 0, 0, Set.of(), Map.of(),
            Map.of());

    final String clusterId;
    final Map<Integer, Broker> brokers;
    final Map<String, Topic> topics;
    final Map<Integer, Group> groups;
    final int nextGroupNo;
    final long nextProducerId;
    /** Ids of deleted topics, so that stale data entries of a deleted topic are never re-applied. */
    final Set<UUID> deletedTopics;
    final Map<Integer, Leader> leaders;
    /**
     * The in-sync replicas of each data group as its leader last published them (fenced brokers removed); a group
     * without an entry has not published one yet (all its replicas count as in sync).
     */
    final Map<Integer, List<Integer>> isrs;
    /** Reassignments in progress and the epoch bases of moved partitions. */
    final PartitionMoves moves;
    /**
     * The brokers being decommissioned ({@link DecommissionBroker}): they keep serving the replicas they hold, but
     * placement never puts a new replica on them.
     */
    final Set<Integer> decommissioned;

    MetadataState(String clusterId, Map<Integer, Broker> brokers, Map<String, Topic> topics, Map<Integer, Group> groups,
            int nextGroupNo, long nextProducerId, Set<UUID> deletedTopics, Map<Integer, Leader> leaders) {
        this(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deletedTopics, leaders, Map.of());
    }

    MetadataState(String clusterId, Map<Integer, Broker> brokers, Map<String, Topic> topics, Map<Integer, Group> groups,
            int nextGroupNo, long nextProducerId, Set<UUID> deletedTopics, Map<Integer, Leader> leaders,
            Map<Integer, List<Integer>> isrs) {
        this(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deletedTopics, leaders, isrs,
                PartitionMoves.NONE);
    }

    MetadataState(String clusterId, Map<Integer, Broker> brokers, Map<String, Topic> topics, Map<Integer, Group> groups,
            int nextGroupNo, long nextProducerId, Set<UUID> deletedTopics, Map<Integer, Leader> leaders,
            Map<Integer, List<Integer>> isrs, PartitionMoves moves) {
        this(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deletedTopics, leaders, isrs, moves,
                Set.of());
    }

    MetadataState(String clusterId, Map<Integer, Broker> brokers, Map<String, Topic> topics, Map<Integer, Group> groups,
            int nextGroupNo, long nextProducerId, Set<UUID> deletedTopics, Map<Integer, Leader> leaders,
            Map<Integer, List<Integer>> isrs, PartitionMoves moves, Set<Integer> decommissioned) {
        this.moves = moves;
        this.clusterId = clusterId;
        this.brokers = Collections.unmodifiableMap(new TreeMap<>(brokers));
        this.topics = Collections.unmodifiableMap(new TreeMap<>(topics));
        this.groups = Collections.unmodifiableMap(new TreeMap<>(groups));
        this.nextGroupNo = nextGroupNo;
        this.nextProducerId = nextProducerId;
        this.deletedTopics = Collections.unmodifiableSet(new HashSet<>(deletedTopics));
        this.leaders = Collections.unmodifiableMap(new TreeMap<>(leaders));
        Map<Integer, List<Integer>> isrCopy = new TreeMap<>();
        isrs.forEach((g, isr) -> isrCopy.put(g, List.copyOf(isr)));
        this.isrs = Collections.unmodifiableMap(isrCopy);
        this.decommissioned = Collections.unmodifiableSet(new TreeSet<>(decommissioned));
    }

    /** Whether {@code nodeId} is a registered broker that is not fenced. */
    boolean isLive(int nodeId) {
        Broker b = brokers.get(nodeId);
        return b != null && !b.fenced();
    }

    /** The ids of the registered brokers that are not fenced, ascending. */
    List<Integer> liveBrokerIds() {
        List<Integer> live = new ArrayList<>();
        for (Broker b : liveBrokers()) {
            live.add(b.nodeId());
        }
        return live;
    }

    /** The brokers that new replicas may be placed on, by node id; see {@link #eligible}. */
    List<Broker> liveBrokers() {
        return eligible(brokers, decommissioned);
    }

    /**
     * The brokers of {@code brokers} that placement may put new replicas on, by node id: the registered brokers that
     * are neither fenced nor being decommissioned. The one place where brokers are filtered for placement and
     * replication-factor checks.
     */
    static List<Broker> eligible(Map<Integer, Broker> brokers, Set<Integer> decommissioned) {
        List<Broker> live = new ArrayList<>();
        for (Broker b : new TreeMap<>(brokers).values()) {
            if (!b.fenced() && !decommissioned.contains(b.nodeId())) {
                live.add(b);
            }
        }
        return List.copyOf(live);
    }

    /** A mutable copy for building the next state. */
    Builder toBuilder() {
        return new Builder(this);
    }

    /** Number of partitions placed in each group. */
    Map<Integer, Integer> partitionsPerGroup() {
        Map<Integer, Integer> counts = new TreeMap<>();
        for (Integer g : groups.keySet()) {
            counts.put(g, 0);
        }
        for (Topic t : topics.values()) {
            for (Integer g : t.groups()) {
                counts.merge(g, 1, Integer::sum);
            }
        }
        return counts;
    }

    static final class Builder {
        String clusterId;
        final Map<Integer, Broker> brokers;
        final Map<String, Topic> topics;
        final Map<Integer, Group> groups;
        int nextGroupNo;
        long nextProducerId;
        final Set<UUID> deletedTopics;
        final Map<Integer, Leader> leaders;
        final Map<Integer, List<Integer>> isrs;
        PartitionMoves moves;
        final Set<Integer> decommissioned;

        Builder(MetadataState s) {
            moves = s.moves;
            clusterId = s.clusterId;
            brokers = new TreeMap<>(s.brokers);
            topics = new TreeMap<>(s.topics);
            groups = new TreeMap<>(s.groups);
            nextGroupNo = s.nextGroupNo;
            nextProducerId = s.nextProducerId;
            deletedTopics = new HashSet<>(s.deletedTopics);
            leaders = new TreeMap<>(s.leaders);
            isrs = new TreeMap<>(s.isrs);
            decommissioned = new TreeSet<>(s.decommissioned);
        }

        /**
         * Forgets data group {@code groupNo} if no partition belongs to it and no move involves it any more: every
         * node then removes its division. Group numbers are never reused, so a node that meets a number below
         * {@link #nextGroupNo} that is not in the metadata knows the group is retired.
         */
        void retireIfUnused(int groupNo) {
            for (Topic t : topics.values()) {
                if (t.groups().contains(groupNo)) {
                    return;
                }
            }
            for (PartitionMoves.Pending m : moves.pending().values()) {
                if (m.sourceGroup() == groupNo || m.targetGroup() == groupNo) {
                    return;
                }
            }
            groups.remove(groupNo);
            leaders.remove(groupNo);
            isrs.remove(groupNo);
        }

        MetadataState build() {
            return new MetadataState(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deletedTopics, leaders,
                    isrs, moves, decommissioned);
        }
    }
}
