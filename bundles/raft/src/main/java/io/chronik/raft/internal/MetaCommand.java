package io.chronik.raft.internal;

import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * The commands of the metadata group. Each is encoded into one Raft entry and applied by {@link #apply} on every
 * node: a pure function of the previous state and the command, so all replicas reach the same state.
 */
sealed interface MetaCommand permits MetaCommand.RegisterBroker, MetaCommand.CreateTopic, MetaCommand.DeleteTopic,
        MetaCommand.CreatePartitions, MetaCommand.AlterConfigs, MetaCommand.AllocateProducerIds, MetaCommand.GroupLeader,
        MetaCommand.FenceBroker, MetaCommand.UnfenceBroker, MetaCommand.GroupIsr, ReassignPartition,
        CompleteReassignment, DecommissionBroker, CreateTopics {

    byte REGISTER_BROKER = 1;
    byte CREATE_TOPIC = 2;
    byte DELETE_TOPIC = 3;
    byte CREATE_PARTITIONS = 4;
    byte ALTER_CONFIGS = 5;
    byte ALLOCATE_PRODUCER_IDS = 6;
    byte GROUP_LEADER = 7;
    byte FENCE_BROKER = 20;
    byte UNFENCE_BROKER = 21;
    byte GROUP_ISR = 22;
    byte REASSIGN_PARTITION = 23;
    byte COMPLETE_REASSIGNMENT = 24;
    byte DECOMMISSION_BROKER = 25;
    byte CREATE_TOPICS = 26;

    /**
     * The placement a CREATE_TOPIC or CREATE_PARTITIONS entry asks for, written after its original fields. Entries
     * written before placement was balanced end without it and are replayed with {@link ReplicaPlacer#legacy}.
     */
    byte PLACEMENT_BALANCED = 1;

    /** The new state and the result. */
    record Applied(MetadataState state, MetaResult result) {
    }

    void write(DataOutput out) throws IOException;

    Applied apply(MetadataState s);

    /**
     * Applies the command as the metadata entry at {@code index}: the state machine's entry point. Commands that
     * record where they were applied override it; the others ignore the index.
     */
    default Applied apply(MetadataState s, long index) {
        return apply(s);
    }

    default byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static MetaCommand decode(byte[] data) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
        byte op = in.readByte();
        switch (op) {
            case REGISTER_BROKER:
                return new RegisterBroker(in.readInt(), in.readUTF(), in.readInt(), Codec.readNullableString(in), in.readUTF(),
                        in.readInt(), in.readUTF());
            case CREATE_TOPIC: {
                String name = in.readUTF();
                UUID id = new UUID(in.readLong(), in.readLong());
                int partitions = in.readInt();
                int rf = in.readInt();
                Map<String, String> configs = Codec.readMap(in);
                int budget = in.readInt();
                boolean balanced = in.available() > 0 && in.readByte() == PLACEMENT_BALANCED;
                List<List<Integer>> assignment = balanced ? Codec.readAssignment(in) : List.of();
                return new CreateTopic(name, id, partitions, rf, configs, budget, balanced, assignment);
            }
            case DELETE_TOPIC:
                return new DeleteTopic(in.readUTF());
            case CREATE_PARTITIONS: {
                String name = in.readUTF();
                int total = in.readInt();
                int budget = in.readInt();
                boolean balanced = in.available() > 0 && in.readByte() == PLACEMENT_BALANCED;
                List<List<Integer>> assignment = balanced ? Codec.readAssignment(in) : List.of();
                return new CreatePartitions(name, total, budget, balanced, assignment);
            }
            case ALTER_CONFIGS:
                return new AlterConfigs(in.readUTF(), Codec.readMap(in), Codec.readSet(in));
            case ALLOCATE_PRODUCER_IDS:
                return new AllocateProducerIds(in.readInt(), in.readInt());
            case GROUP_LEADER:
                return new GroupLeader(in.readInt(), in.readInt(), in.readLong());
            case FENCE_BROKER:
                return new FenceBroker(in.readInt());
            case UNFENCE_BROKER:
                return new UnfenceBroker(in.readInt(), in.readLong());
            case GROUP_ISR:
                return new GroupIsr(in.readInt(), in.readInt(), in.readLong(), readIds(in));
            case REASSIGN_PARTITION:
                return ReassignPartition.read(in);
            case COMPLETE_REASSIGNMENT:
                return CompleteReassignment.read(in);
            case DECOMMISSION_BROKER:
                return DecommissionBroker.read(in);
            case CREATE_TOPICS:
                return CreateTopics.read(in);
            default:
                throw new IOException("unknown metadata command " + op);
        }
    }

    private static List<Integer> readIds(DataInput in) throws IOException {
        int n = in.readInt();
        List<Integer> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(in.readInt());
        }
        return ids;
    }

    /**
     * Registers (or re-registers) a broker; the first registration also fixes the cluster id. A fenced broker that
     * re-registers stays fenced until {@link UnfenceBroker}.
     */
    record RegisterBroker(int nodeId, String host, int port, String rack, String raftHost, int raftPort,
            String candidateClusterId) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(REGISTER_BROKER);
            out.writeInt(nodeId);
            out.writeUTF(host);
            out.writeInt(port);
            Codec.writeNullableString(out, rack);
            out.writeUTF(raftHost);
            out.writeInt(raftPort);
            out.writeUTF(candidateClusterId);
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Builder b = s.toBuilder();
            if (b.clusterId == null) {
                b.clusterId = candidateClusterId;
            }
            MetadataState.Broker old = b.brokers.get(nodeId);
            b.brokers.put(nodeId, new MetadataState.Broker(nodeId, host, port, rack, raftHost, raftPort,
                    old == null ? -1 : old.fencedAt()));
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    /**
     * Creates a topic. With an {@code assignment} (one replica list per partition, preferred leader first) the
     * partitions get exactly those replicas and {@code partitions} and {@code replicationFactor} are ignored; else
     * {@link ReplicaPlacer} places them by load ({@code balanced}) or, for entries from before balanced placement,
     * as they were placed then.
     */
    record CreateTopic(String name, UUID id, int partitions, int replicationFactor, Map<String, String> configs,
            int divisionBudget, boolean balanced, List<List<Integer>> assignment) implements MetaCommand {
        public CreateTopic {
            assignment = List.copyOf(assignment);
        }

        /** A topic placed by load. */
        CreateTopic(String name, UUID id, int partitions, int replicationFactor, Map<String, String> configs,
                int divisionBudget) {
            this(name, id, partitions, replicationFactor, configs, divisionBudget, true, List.of());
        }

        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(CREATE_TOPIC);
            out.writeUTF(name);
            out.writeLong(id.getMostSignificantBits());
            out.writeLong(id.getLeastSignificantBits());
            out.writeInt(partitions);
            out.writeInt(replicationFactor);
            Codec.writeMap(out, configs);
            out.writeInt(divisionBudget);
            if (balanced) {
                out.writeByte(PLACEMENT_BALANCED);
                Codec.writeAssignment(out, assignment);
            }
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Builder b = s.toBuilder();
            MetaResult r = applyTo(b, () -> new ReplicaPlacer(b, divisionBudget));
            return r.tookEffect() ? new Applied(b.build(), r) : new Applied(s, r);
        }

        /**
         * Adds the topic to {@code b}, which is left unchanged if the command is refused. {@code placer} gives a
         * placer over {@code b} (asked for at most once; {@link CreateTopics} shares one between its topics).
         */
        MetaResult applyTo(MetadataState.Builder b, java.util.function.Supplier<ReplicaPlacer> placer) {
            if (b.topics.containsKey(name)) {
                return MetaResult.fail(Reason.TOPIC_EXISTS, "topic '" + name + "' already exists");
            }
            List<MetadataState.Broker> live = MetadataState.eligible(b.brokers, b.decommissioned);
            List<Integer> groups;
            if (!assignment.isEmpty()) {
                String refused = ReplicaPlacer.checkAssignment(live, assignment, -1);
                if (refused != null) {
                    return MetaResult.fail(Reason.INVALID_REPLICA_ASSIGNMENT, refused);
                }
                groups = placer.get().placeAssigned(assignment);
            } else {
                if (partitions < 1) {
                    return MetaResult.fail(Reason.INVALID_PARTITIONS, "partitions must be >= 1");
                }
                int eligible = balanced ? live.size() : b.brokers.size();
                if (replicationFactor < 1 || replicationFactor > eligible) {
                    return MetaResult.fail(Reason.INVALID_REPLICATION_FACTOR, "replication factor "
                            + replicationFactor + " with " + eligible + " live brokers");
                }
                groups = balanced ? placer.get().place(partitions, replicationFactor)
                        : ReplicaPlacer.legacy(b, partitions, replicationFactor, divisionBudget);
            }
            b.topics.put(name, new MetadataState.Topic(name, id, configs, groups));
            return MetaResult.ok(0);
        }
    }

    record DeleteTopic(String name) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(DELETE_TOPIC);
            out.writeUTF(name);
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Topic t = s.topics.get(name);
            if (t == null) {
                return new Applied(s, MetaResult.fail(Reason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"));
            }
            MetadataState.Builder b = s.toBuilder();
            b.topics.remove(name);
            b.deletedTopics.add(t.id());
            PartitionMoves before = b.moves;
            b.moves = b.moves.withoutTopic(name);
            for (PartitionMoves.Pending m : before.pending().values()) {
                if (m.topic().equals(name)) {
                    b.retireIfUnused(m.targetGroup());
                }
            }
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    /**
     * Raises a topic's partition count to {@code totalPartitions}. With an {@code assignment} (one replica list per
     * new partition) the new partitions get exactly those replicas; else as {@link CreateTopic}.
     */
    record CreatePartitions(String name, int totalPartitions, int divisionBudget, boolean balanced,
            List<List<Integer>> assignment) implements MetaCommand {
        public CreatePartitions {
            assignment = List.copyOf(assignment);
        }

        /** New partitions placed by load. */
        CreatePartitions(String name, int totalPartitions, int divisionBudget) {
            this(name, totalPartitions, divisionBudget, true, List.of());
        }

        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(CREATE_PARTITIONS);
            out.writeUTF(name);
            out.writeInt(totalPartitions);
            out.writeInt(divisionBudget);
            if (balanced) {
                out.writeByte(PLACEMENT_BALANCED);
                Codec.writeAssignment(out, assignment);
            }
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Topic t = s.topics.get(name);
            if (t == null) {
                return new Applied(s, MetaResult.fail(Reason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"));
            }
            int current = t.groups().size();
            if (totalPartitions <= current) {
                return new Applied(s, MetaResult.fail(Reason.INVALID_PARTITIONS, "topic '" + name + "' has " + current
                        + " partitions; the new count must be larger, got " + totalPartitions));
            }
            int rf = s.groups.get(t.groups().get(0)).replicas().size();
            if (!assignment.isEmpty()) {
                String refused = assignment.size() != totalPartitions - current
                        ? "the manual partition assignment names " + assignment.size() + " partition(s) for "
                                + (totalPartitions - current) + " new partition(s)"
                        : ReplicaPlacer.checkAssignment(s.liveBrokers(), assignment, rf);
                if (refused != null) {
                    return new Applied(s, MetaResult.fail(Reason.INVALID_REPLICA_ASSIGNMENT, refused));
                }
            } else if (balanced && rf > s.liveBrokers().size()) {
                return new Applied(s, MetaResult.fail(Reason.INVALID_REPLICATION_FACTOR, "replication factor "
                        + rf + " with " + s.liveBrokers().size() + " live brokers"));
            }
            MetadataState.Builder b = s.toBuilder();
            List<Integer> groups = new ArrayList<>(t.groups());
            if (!assignment.isEmpty()) {
                groups.addAll(new ReplicaPlacer(b, divisionBudget).placeAssigned(assignment));
            } else if (balanced) {
                groups.addAll(new ReplicaPlacer(b, divisionBudget).place(totalPartitions - current, rf));
            } else {
                groups.addAll(ReplicaPlacer.legacy(b, totalPartitions - current, rf, divisionBudget));
            }
            b.topics.put(name, new MetadataState.Topic(name, t.id(), t.configs(), groups));
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    record AlterConfigs(String name, Map<String, String> set, Set<String> delete) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(ALTER_CONFIGS);
            out.writeUTF(name);
            Codec.writeMap(out, set);
            Codec.writeSet(out, delete);
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Topic t = s.topics.get(name);
            if (t == null) {
                return new Applied(s, MetaResult.fail(Reason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"));
            }
            Map<String, String> configs = new TreeMap<>(t.configs());
            configs.keySet().removeAll(delete);
            configs.putAll(set);
            MetadataState.Builder b = s.toBuilder();
            b.topics.put(name, new MetadataState.Topic(name, t.id(), configs, t.groups()));
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    /** Reserves {@code count} producer ids for {@code nodeId}; the result value is the first one. */
    record AllocateProducerIds(int nodeId, int count) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(ALLOCATE_PRODUCER_IDS);
            out.writeInt(nodeId);
            out.writeInt(count);
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Builder b = s.toBuilder();
            long first = b.nextProducerId;
            b.nextProducerId = first + count;
            return new Applied(b.build(), MetaResult.ok(first));
        }
    }

    /**
     * A data group's new leader reports itself, so that nodes not hosting the group can name the partition leaders
     * to Kafka clients. Ignored if an equal or newer term is already recorded.
     */
    record GroupLeader(int groupNo, int nodeId, long term) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(GROUP_LEADER);
            out.writeInt(groupNo);
            out.writeInt(nodeId);
            out.writeLong(term);
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Leader current = s.leaders.get(groupNo);
            if (!s.groups.containsKey(groupNo) || (current != null && current.term() >= term)) {
                return new Applied(s, MetaResult.ok(0));
            }
            MetadataState.Builder b = s.toBuilder();
            b.leaders.put(groupNo, new MetadataState.Leader(nodeId, term));
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    /**
     * The metadata leader found {@code nodeId}'s session expired: the broker is fenced (as of this entry's index)
     * and leaves every in-sync replica set. Ignored for an unknown or already fenced broker.
     */
    record FenceBroker(int nodeId) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(FENCE_BROKER);
            out.writeInt(nodeId);
        }

        /** @throws UnsupportedOperationException always: fencing records its entry's index, see {@link #apply(MetadataState, long)} */
        @Override
        public Applied apply(MetadataState s) {
            throw new UnsupportedOperationException("fencing needs the entry index");
        }

        @Override
        public Applied apply(MetadataState s, long index) {
            MetadataState.Broker broker = s.brokers.get(nodeId);
            if (broker == null || broker.fenced()) {
                return new Applied(s, MetaResult.ok(0));
            }
            MetadataState.Builder b = s.toBuilder();
            b.brokers.put(nodeId, broker.withFencedAt(index));
            b.isrs.replaceAll((g, isr) -> isr.contains(nodeId)
                    ? isr.stream().filter(id -> id != nodeId).toList() : isr);
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    /**
     * A fenced broker heartbeats again, having applied the metadata up to {@code appliedIndex}: it is unfenced if
     * that covers the entry that fenced it. Ignored otherwise (the leader tries again with a later heartbeat).
     */
    record UnfenceBroker(int nodeId, long appliedIndex) implements MetaCommand {
        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(UNFENCE_BROKER);
            out.writeInt(nodeId);
            out.writeLong(appliedIndex);
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Broker broker = s.brokers.get(nodeId);
            if (broker == null || !broker.fenced() || appliedIndex < broker.fencedAt()) {
                return new Applied(s, MetaResult.ok(0));
            }
            MetadataState.Builder b = s.toBuilder();
            b.brokers.put(nodeId, broker.withFencedAt(-1));
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }

    /**
     * A data group's leader publishes itself and the group's in-sync replicas (the followers within the lag limit, in
     * replica order), so that every node answers Metadata alike. Ignored for an unknown group or an older term;
     * replicas on fenced brokers or outside the group are dropped from {@code isr}.
     */
    record GroupIsr(int groupNo, int nodeId, long term, List<Integer> isr) implements MetaCommand {
        public GroupIsr {
            isr = List.copyOf(isr);
        }

        @Override
        public void write(DataOutput out) throws IOException {
            out.writeByte(GROUP_ISR);
            out.writeInt(groupNo);
            out.writeInt(nodeId);
            out.writeLong(term);
            out.writeInt(isr.size());
            for (Integer id : isr) {
                out.writeInt(id);
            }
        }

        @Override
        public Applied apply(MetadataState s) {
            MetadataState.Group g = s.groups.get(groupNo);
            MetadataState.Leader current = s.leaders.get(groupNo);
            if (g == null || (current != null && (current.term() > term
                    || (current.term() == term && current.nodeId() != nodeId)))) {
                return new Applied(s, MetaResult.ok(0));
            }
            List<Integer> kept = new ArrayList<>();
            for (Integer r : g.replicas()) {
                if (isr.contains(r) && s.isLive(r)) {
                    kept.add(r);
                }
            }
            MetadataState.Builder b = s.toBuilder();
            b.leaders.put(groupNo, new MetadataState.Leader(nodeId, term));
            b.isrs.put(groupNo, kept);
            return new Applied(b.build(), MetaResult.ok(0));
        }
    }
}
