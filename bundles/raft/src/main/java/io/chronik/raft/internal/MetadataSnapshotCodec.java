package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import io.chronik.raft.internal.MetadataState.Broker;
import io.chronik.raft.internal.MetadataState.Group;
import io.chronik.raft.internal.MetadataState.Leader;
import io.chronik.raft.internal.MetadataState.Topic;

/**
 * The binary form of a {@link MetadataState} in the metadata group's snapshots (format 4): a format number, then
 * the cluster id, brokers (each with the index of the entry that fenced it, -1 if none), topics, groups, the group
 * and producer id counters, the deleted topic ids, the group leaders, the groups' published in-sync replicas, the
 * {@link PartitionMoves} and the brokers being decommissioned, each collection as a count followed by its elements.
 * Format 1 (written before fencing existed: no fence index, no in-sync replicas), format 2 (before partition moves)
 * and format 3 (before decommissioning) are still read. Stateless; safe on any thread; blocks only on the streams it is
 * given.
 */
final class MetadataSnapshotCodec {
    private static final int FORMAT = 4;
    private static final int FORMAT_BEFORE_DECOMMISSIONING = 3;
    private static final int FORMAT_BEFORE_MOVES = 2;
    private static final int FORMAT_BEFORE_FENCING = 1;

    private MetadataSnapshotCodec() {
    }

    /**
     * Writes {@code state} to {@code out} (not flushed, not closed).
     *
     * @throws IOException if {@code out} fails
     */
    static void write(MetadataState state, DataOutput out) throws IOException {
        out.writeInt(FORMAT);
        Codec.writeNullableString(out, state.clusterId);
        out.writeInt(state.brokers.size());
        for (Broker b : state.brokers.values()) {
            out.writeInt(b.nodeId());
            out.writeUTF(b.host());
            out.writeInt(b.port());
            Codec.writeNullableString(out, b.rack());
            out.writeUTF(b.raftHost());
            out.writeInt(b.raftPort());
            out.writeLong(b.fencedAt());
        }
        out.writeInt(state.topics.size());
        for (Topic t : state.topics.values()) {
            out.writeUTF(t.name());
            out.writeLong(t.id().getMostSignificantBits());
            out.writeLong(t.id().getLeastSignificantBits());
            Codec.writeMap(out, t.configs());
            out.writeInt(t.groups().size());
            for (Integer g : t.groups()) {
                out.writeInt(g);
            }
        }
        out.writeInt(state.groups.size());
        for (Group g : state.groups.values()) {
            out.writeInt(g.no());
            out.writeInt(g.replicas().size());
            for (Integer r : g.replicas()) {
                out.writeInt(r);
            }
        }
        out.writeInt(state.nextGroupNo);
        out.writeLong(state.nextProducerId);
        out.writeInt(state.deletedTopics.size());
        for (UUID u : state.deletedTopics) {
            out.writeLong(u.getMostSignificantBits());
            out.writeLong(u.getLeastSignificantBits());
        }
        out.writeInt(state.leaders.size());
        for (Map.Entry<Integer, Leader> e : state.leaders.entrySet()) {
            out.writeInt(e.getKey());
            out.writeInt(e.getValue().nodeId());
            out.writeLong(e.getValue().term());
        }
        out.writeInt(state.isrs.size());
        for (Map.Entry<Integer, List<Integer>> e : state.isrs.entrySet()) {
            out.writeInt(e.getKey());
            out.writeInt(e.getValue().size());
            for (Integer id : e.getValue()) {
                out.writeInt(id);
            }
        }
        state.moves.write(out);
        out.writeInt(state.decommissioned.size());
        for (Integer id : state.decommissioned) {
            out.writeInt(id);
        }
    }

    /**
     * Reads a state that {@link #write} wrote.
     *
     * @throws IOException if {@code in} fails, ends early or holds an unknown format
     */
    static MetadataState read(DataInput in) throws IOException {
        int format = in.readInt();
        if (format < FORMAT_BEFORE_FENCING || format > FORMAT) {
            throw new IOException("unknown metadata snapshot format " + format);
        }
        String clusterId = Codec.readNullableString(in);
        Map<Integer, Broker> brokers = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            Broker b = new Broker(in.readInt(), in.readUTF(), in.readInt(), Codec.readNullableString(in), in.readUTF(), in.readInt(),
                    format != FORMAT_BEFORE_FENCING ? in.readLong() : -1);
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
        Map<Integer, List<Integer>> isrs = new TreeMap<>();
        for (int i = format != FORMAT_BEFORE_FENCING ? in.readInt() : 0; i > 0; i--) {
            int groupNo = in.readInt();
            List<Integer> isr = new ArrayList<>();
            for (int n = in.readInt(); n > 0; n--) {
                isr.add(in.readInt());
            }
            isrs.put(groupNo, isr);
        }
        PartitionMoves moves = format > FORMAT_BEFORE_MOVES ? PartitionMoves.read(in) : PartitionMoves.NONE;
        Set<Integer> decommissioned = new HashSet<>();
        for (int i = format > FORMAT_BEFORE_DECOMMISSIONING ? in.readInt() : 0; i > 0; i--) {
            decommissioned.add(in.readInt());
        }
        return new MetadataState(clusterId, brokers, topics, groups, nextGroupNo, nextProducerId, deleted, leaders, isrs,
                moves, decommissioned);
    }
}
