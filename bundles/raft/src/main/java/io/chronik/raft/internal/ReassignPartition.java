package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * Starts moving a partition to {@code target} replicas, or cancels its move ({@code target} empty). The move is
 * recorded as a {@link PartitionMoves.Pending} whose id is this entry's index; its target group is the data group
 * with exactly the target replica list, created if there is none (or while the division budget allows a group of
 * its own, as {@link ReplicaPlacer#placeAssigned} decides). A target equal to the current replicas ends a move in
 * progress and changes nothing else. A new move replaces one in progress. The target group of a cancelled or
 * replaced move is retired if nothing else uses it.
 */
record ReassignPartition(String topic, int partition, List<Integer> target, int divisionBudget) implements MetaCommand {

    ReassignPartition {
        target = List.copyOf(target);
    }

    @Override
    public void write(DataOutput out) throws IOException {
        out.writeByte(REASSIGN_PARTITION);
        out.writeUTF(topic);
        out.writeInt(partition);
        out.writeInt(target.size());
        for (Integer id : target) {
            out.writeInt(id);
        }
        out.writeInt(divisionBudget);
    }

    static ReassignPartition read(DataInput in) throws IOException {
        String topic = in.readUTF();
        int partition = in.readInt();
        List<Integer> target = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
            target.add(in.readInt());
        }
        return new ReassignPartition(topic, partition, target, in.readInt());
    }

    /** @throws UnsupportedOperationException always: a move is identified by its entry's index */
    @Override
    public Applied apply(MetadataState s) {
        throw new UnsupportedOperationException("a reassignment needs the entry index");
    }

    @Override
    public Applied apply(MetadataState s, long index) {
        MetadataState.Topic t = s.topics.get(topic);
        if (t == null) {
            return new Applied(s, MetaResult.fail(Reason.UNKNOWN_TOPIC, "topic '" + topic + "' does not exist"));
        }
        if (partition < 0 || partition >= t.groups().size()) {
            return new Applied(s, MetaResult.fail(Reason.UNKNOWN_PARTITION, "topic '" + topic + "' has no partition "
                    + partition));
        }
        String key = PartitionReplica.key(topic, partition);
        PartitionMoves.Pending current = s.moves.pending().get(key);
        if (target.isEmpty()) {
            if (current == null) {
                return new Applied(s, MetaResult.fail(Reason.NO_REASSIGNMENT_IN_PROGRESS, "partition " + key
                        + " is not being reassigned"));
            }
            return new Applied(withPending(s, key, null), MetaResult.ok(0));
        }
        String refused = ReplicaPlacer.checkAssignment(s.liveBrokers(), List.of(target), -1);
        if (refused != null) {
            return new Applied(s, MetaResult.fail(Reason.INVALID_REPLICA_ASSIGNMENT,
                    refused.replace("the manual partition assignment", "the reassignment of " + key)));
        }
        int sourceGroup = t.groups().get(partition);
        if (s.groups.get(sourceGroup).replicas().equals(target)) {
            return new Applied(current == null ? s : withPending(s, key, null), MetaResult.ok(0));
        }
        MetadataState.Builder b = s.toBuilder();
        int targetGroup = new ReplicaPlacer(b, divisionBudget).placeAssigned(List.of(target)).get(0);
        b.moves = movesWith(b.moves, key, new PartitionMoves.Pending(index, topic, t.id(), partition, sourceGroup,
                targetGroup));
        if (current != null && current.targetGroup() != targetGroup) {
            b.retireIfUnused(current.targetGroup());
        }
        return new Applied(b.build(), MetaResult.ok(index));
    }

    private static MetadataState withPending(MetadataState s, String key, PartitionMoves.Pending pending) {
        MetadataState.Builder b = s.toBuilder();
        PartitionMoves.Pending old = b.moves.pending().get(key);
        b.moves = movesWith(b.moves, key, pending);
        if (old != null) {
            b.retireIfUnused(old.targetGroup());
        }
        return b.build();
    }

    /** {@code moves} with {@code pending} as the move of {@code key} (null: none). */
    static PartitionMoves movesWith(PartitionMoves moves, String key, PartitionMoves.Pending pending) {
        java.util.Map<String, PartitionMoves.Pending> p = new java.util.TreeMap<>(moves.pending());
        if (pending == null) {
            p.remove(key);
        } else {
            p.put(key, pending);
        }
        return new PartitionMoves(p, moves.epochBases());
    }
}
