package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Map;
import java.util.TreeMap;

import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The move {@code id} of a partition is done: every record of the partition is in its target group (copied behind
 * the source group's write fence), so the partition now belongs to the target group, with leader epochs from
 * {@code epochBase} on; the source group is retired if nothing else uses it. Refused with NO_REASSIGNMENT_IN_PROGRESS if that move is no longer in progress (cancelled or
 * replaced): the source group then still owns the partition.
 */
record CompleteReassignment(String topic, int partition, long id, int epochBase) implements MetaCommand {

    @Override
    public void write(DataOutput out) throws IOException {
        out.writeByte(COMPLETE_REASSIGNMENT);
        out.writeUTF(topic);
        out.writeInt(partition);
        out.writeLong(id);
        out.writeInt(epochBase);
    }

    static CompleteReassignment read(DataInput in) throws IOException {
        return new CompleteReassignment(in.readUTF(), in.readInt(), in.readLong(), in.readInt());
    }

    @Override
    public Applied apply(MetadataState s) {
        String key = PartitionReplica.key(topic, partition);
        PartitionMoves.Pending move = s.moves.pending().get(key);
        MetadataState.Topic t = s.topics.get(topic);
        if (move == null || move.id() != id || t == null || !t.id().equals(move.topicId())) {
            return new Applied(s, MetaResult.fail(Reason.NO_REASSIGNMENT_IN_PROGRESS, "the reassignment " + id + " of "
                    + key + " is no longer in progress"));
        }
        MetadataState.Builder b = s.toBuilder();
        ArrayList<Integer> groups = new ArrayList<>(t.groups());
        groups.set(partition, move.targetGroup());
        b.topics.put(topic, new MetadataState.Topic(topic, t.id(), t.configs(), groups));
        Map<String, PartitionMoves.Pending> pending = new TreeMap<>(s.moves.pending());
        pending.remove(key);
        Map<String, Integer> bases = new TreeMap<>(s.moves.epochBases());
        bases.put(key, epochBase);
        b.moves = new PartitionMoves(pending, bases);
        b.retireIfUnused(move.sourceGroup());
        return new Applied(b.build(), MetaResult.ok(0));
    }
}
