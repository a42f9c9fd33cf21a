package io.chronik.raft.internal;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Several {@link MetaCommand.CreateTopic}s in one metadata entry, applied in order as if each were its own entry: a
 * topic refused (it exists, its replication factor is too high…) does not stop the others, and the result is a
 * {@link MetaResult.Many} with one outcome per topic. One entry instead of one per topic: a CreateTopics request of
 * hundreds of topics costs one Raft round, one copy of the metadata state and one reconciliation of the local
 * replicas on each node, instead of one each per topic (each of which grows with the number of topics).
 *
 * <p>Encoded as the count, then each command's own encoding, length-prefixed.
 */
record CreateTopics(List<MetaCommand.CreateTopic> topics) implements MetaCommand {
    CreateTopics {
        topics = List.copyOf(topics);
    }

    @Override
    public void write(DataOutput out) throws IOException {
        out.writeByte(CREATE_TOPICS);
        out.writeInt(topics.size());
        for (MetaCommand.CreateTopic t : topics) {
            byte[] encoded = t.encode();
            out.writeInt(encoded.length);
            out.write(encoded);
        }
    }

    static CreateTopics read(DataInput in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            throw new IOException("negative topic count " + n);
        }
        List<MetaCommand.CreateTopic> topics = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            byte[] encoded = new byte[in.readInt()];
            in.readFully(encoded);
            if (!(MetaCommand.decode(encoded) instanceof MetaCommand.CreateTopic t)) {
                throw new IOException("part " + i + " of a CREATE_TOPICS entry is not a CREATE_TOPIC");
            }
            topics.add(t);
        }
        return new CreateTopics(topics);
    }

    @Override
    public Applied apply(MetadataState s) {
        MetadataState.Builder b = s.toBuilder();
        List<MetaResult> results = new ArrayList<>(topics.size());
        ReplicaPlacer[] placer = new ReplicaPlacer[1];
        int[] placerBudget = new int[1];
        boolean changed = false;
        for (MetaCommand.CreateTopic t : topics) {
            MetaResult r = t.applyTo(b, () -> {
                if (placer[0] == null || placerBudget[0] != t.divisionBudget()) {
                    placer[0] = new ReplicaPlacer(b, t.divisionBudget());
                    placerBudget[0] = t.divisionBudget();
                }
                return placer[0];
            });
            if (!t.balanced()) {
                placer[0] = null; // the legacy placement changed b behind the placer's counts
            }
            changed |= r.tookEffect();
            results.add(r);
        }
        return new Applied(changed ? b.build() : s, new MetaResult.Many(results));
    }
}
