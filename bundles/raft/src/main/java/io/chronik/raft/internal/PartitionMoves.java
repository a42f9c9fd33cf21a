package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The partition moves of the metadata (part of {@link MetadataState}, immutable): the reassignments in progress and
 * the leader-epoch base of every partition that has moved.
 *
 * <p>A partition's leader epoch is its data group's term plus its epoch base. A moved partition lands in a group
 * whose term has nothing to do with the epochs its records carry, so the move fixes a base above the last epoch of
 * the source group: epochs never go backwards, as Kafka clients require (they ignore metadata with an older epoch).
 *
 * @param pending    the reassignments in progress, by {@link PartitionReplica#key}
 * @param epochBases the epoch base of each moved partition, by {@link PartitionReplica#key} (absent: 0)
 */
record PartitionMoves(Map<String, Pending> pending, Map<String, Integer> epochBases) {

    static final PartitionMoves NONE = new PartitionMoves(Map.of(), Map.of());

    /**
     * A reassignment in progress: the partition is copied from its current group to {@code targetGroup}, whose
     * replicas are the target replica list.
     *
     * @param id the index of the metadata entry that started it; data entries of the move carry it
     */
    record Pending(long id, String topic, UUID topicId, int partition, int sourceGroup, int targetGroup) {
        String key() {
            return PartitionReplica.key(topic, partition);
        }
    }

    PartitionMoves {
        pending = Collections.unmodifiableMap(new TreeMap<>(pending));
        epochBases = Collections.unmodifiableMap(new TreeMap<>(epochBases));
    }

    /** The reassignment in progress of a partition, or null. */
    Pending pending(String topic, int partition) {
        return pending.get(PartitionReplica.key(topic, partition));
    }

    int epochBase(String topic, int partition) {
        return epochBases.getOrDefault(PartitionReplica.key(topic, partition), 0);
    }

    /** Without anything of {@code topic} (deleted). */
    PartitionMoves withoutTopic(String topic) {
        Map<String, Pending> p = new TreeMap<>(pending);
        p.values().removeIf(m -> m.topic().equals(topic));
        Map<String, Integer> e = new TreeMap<>(epochBases);
        e.keySet().removeIf(k -> k.startsWith(topic + "-") && isPartitionSuffix(k.substring(topic.length() + 1)));
        return new PartitionMoves(p, e);
    }

    private static boolean isPartitionSuffix(String s) {
        return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
    }

    void write(DataOutput out) throws IOException {
        out.writeInt(pending.size());
        for (Pending m : pending.values()) {
            out.writeLong(m.id());
            out.writeUTF(m.topic());
            out.writeLong(m.topicId().getMostSignificantBits());
            out.writeLong(m.topicId().getLeastSignificantBits());
            out.writeInt(m.partition());
            out.writeInt(m.sourceGroup());
            out.writeInt(m.targetGroup());
        }
        out.writeInt(epochBases.size());
        for (Map.Entry<String, Integer> e : epochBases.entrySet()) {
            out.writeUTF(e.getKey());
            out.writeInt(e.getValue());
        }
    }

    static PartitionMoves read(DataInput in) throws IOException {
        Map<String, Pending> pending = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            Pending m = new Pending(in.readLong(), in.readUTF(), new UUID(in.readLong(), in.readLong()), in.readInt(),
                    in.readInt(), in.readInt());
            pending.put(m.key(), m);
        }
        Map<String, Integer> bases = new TreeMap<>();
        for (int i = in.readInt(); i > 0; i--) {
            bases.put(in.readUTF(), in.readInt());
        }
        return new PartitionMoves(pending, bases);
    }
}
