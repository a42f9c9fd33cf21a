package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import io.chronik.api.consensus.BrokerInfo;

/**
 * The replicated cluster metadata: an immutable value. The metadata state machine replaces it with a new value
 * on every applied change; readers on any thread see a consistent snapshot.
 */
final class MetadataState {

    /** A registered broker: its Kafka (advertised) address and its Raft address. */
    record Broker(int nodeId, String host, int port, String rack, String raftHost, int raftPort) implements BrokerInfo {
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

    static final MetadataState EMPTY = new MetadataState(null, Map.of(), Map.of(), Map.of(), 0, 0, Set.of(), Map.of());

    final String clusterId;
    final Map<Integer, Broker> brokers;
    final Map<String, Topic> topics;
    final Map<Integer, Group> groups;
    final int nextGroupNo;
    final long nextProducerId;
    /** Ids of deleted topics, so that stale data entries of a deleted topic are never re-applied. */
    final Set<UUID> deletedTopics;
    final Map<Integer, Leader> leaders;

    MetadataState(String clusterId, Map<Integer, Broker> brokers, Map<String, Topic> topics, Map<Integer, Group> groups,
            int nextGroupNo, long nextProducerId, Set<UUID> deletedTopics, Map<Integer, Leader> leaders) {
        this.clusterId = clusterId;
        this.brokers = Collections.unmodifiableMap(new TreeMap<>(brokers));
        this.topics = Collections.unmodifiableMap(new TreeMap<>(topics));
        this.groups = Collections.unmodifiableMap(new TreeMap<>(groups));
        this.nextGroupNo = nextGroupNo;
        this.nextProducerId = nextProducerId;
        this.deletedTopics = Collections.unmodifiableSet(new HashSet<>(deletedTopics));
        this.leaders = Collections.unmodifiableMap(new TreeMap<>(leaders));
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

        Builder(MetadataState s) {
            clusterId = s.clusterId;
            brokers = new TreeMap<>(s.brokers);
            topics = new TreeMap<>(s.topics);
            groups = new TreeMap<>(s.groups);
            nextGroupNo = s.nextGroupNo;
            nextProducerId = s.nextProducerId;
            deletedTopics = new HashSet<>(s.deletedTopics);
            leaders = new TreeMap<>(s.leaders);
        }

        MetadataState build() {
            return new MetadataState(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deletedTopics, leaders);
        }

        /**
         * Places {@code count} new partitions: a new data group per partition while the cluster has fewer than
         * {@code budget} groups, else the existing group with {@code rf} replicas carrying the fewest partitions.
         * Deterministic: every replica computes the same placement when applying the entry.
         */
        List<Integer> place(int count, int rf, int budget) {
            List<Integer> brokerIds = new ArrayList<>(brokers.keySet());
            List<Integer> placed = new ArrayList<>(count);
            Map<Integer, Integer> load = new TreeMap<>();
            for (Integer g : groups.keySet()) {
                load.put(g, 0);
            }
            for (Topic t : topics.values()) {
                for (Integer g : t.groups()) {
                    load.merge(g, 1, Integer::sum);
                }
            }
            for (int i = 0; i < count; i++) {
                Integer chosen = null;
                if (groups.size() >= budget) {
                    int best = Integer.MAX_VALUE;
                    for (Group g : groups.values()) {
                        int l = load.getOrDefault(g.no(), 0);
                        if (g.replicas().size() == rf && brokerIds.containsAll(g.replicas()) && l < best) {
                            best = l;
                            chosen = g.no();
                        }
                    }
                }
                if (chosen == null) {
                    int no = nextGroupNo++;
                    List<Integer> replicas = new ArrayList<>(rf);
                    for (int r = 0; r < rf; r++) {
                        replicas.add(brokerIds.get((no + r) % brokerIds.size()));
                    }
                    groups.put(no, new Group(no, replicas));
                    chosen = no;
                }
                load.merge(chosen, 1, Integer::sum);
                placed.add(chosen);
            }
            return placed;
        }
    }

    // ---- serialization (metadata snapshots) ----

    private static final int FORMAT = 1;

    void write(DataOutput out) throws IOException {
        out.writeInt(FORMAT);
        Codec.writeNullableString(out, clusterId);
        out.writeInt(brokers.size());
        for (Broker b : brokers.values()) {
            out.writeInt(b.nodeId());
            out.writeUTF(b.host());
            out.writeInt(b.port());
            Codec.writeNullableString(out, b.rack());
            out.writeUTF(b.raftHost());
            out.writeInt(b.raftPort());
        }
        out.writeInt(topics.size());
        for (Topic t : topics.values()) {
            out.writeUTF(t.name());
            out.writeLong(t.id().getMostSignificantBits());
            out.writeLong(t.id().getLeastSignificantBits());
            Codec.writeMap(out, t.configs());
            out.writeInt(t.groups().size());
            for (Integer g : t.groups()) {
                out.writeInt(g);
            }
        }
        out.writeInt(groups.size());
        for (Group g : groups.values()) {
            out.writeInt(g.no());
            out.writeInt(g.replicas().size());
            for (Integer r : g.replicas()) {
                out.writeInt(r);
            }
        }
        out.writeInt(nextGroupNo);
        out.writeLong(nextProducerId);
        out.writeInt(deletedTopics.size());
        for (UUID u : deletedTopics) {
            out.writeLong(u.getMostSignificantBits());
            out.writeLong(u.getLeastSignificantBits());
        }
        out.writeInt(leaders.size());
        for (Map.Entry<Integer, Leader> e : leaders.entrySet()) {
            out.writeInt(e.getKey());
            out.writeInt(e.getValue().nodeId());
            out.writeLong(e.getValue().term());
        }
    }

    static MetadataState read(DataInput in) throws IOException {
        int format = in.readInt();
        if (format != FORMAT) {
            throw new IOException("unknown metadata snapshot format " + format);
        }
        String clusterId = Codec.readNullableString(in);
        Map<Integer, Broker> brokers = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            Broker b = new Broker(in.readInt(), in.readUTF(), in.readInt(), Codec.readNullableString(in), in.readUTF(), in.readInt());
            brokers.put(b.nodeId(), b);
        }
        Map<String, Topic> topics = new LinkedHashMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            String name = in.readUTF();
            UUID id = new UUID(in.readLong(), in.readLong());
            Map<String, String> configs = Codec.readMap(in);
            List<Integer> groups = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                groups.add(in.readInt());
            }
            topics.put(name, new Topic(name, id, configs, groups));
        }
        Map<Integer, Group> groups = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            int no = in.readInt();
            List<Integer> replicas = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                replicas.add(in.readInt());
            }
            groups.put(no, new Group(no, replicas));
        }
        int nextGroupNo = in.readInt();
        long nextProducerId = in.readLong();
        Set<UUID> deleted = new HashSet<>();
        for (int i = in.readInt(); i > 0; i--) {
            deleted.add(new UUID(in.readLong(), in.readLong()));
        }
        Map<Integer, Leader> leaders = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            leaders.put(in.readInt(), new Leader(in.readInt(), in.readLong()));
        }
        return new MetadataState(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deleted, leaders);
    }
}
