package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.ElectionResult;
import io.chronik.api.consensus.MetadataListener;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.Reassignment;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.log.LogConfig;

/** {@link ClusterMetadata} on the metadata group. */
final class ClusterMetadataImpl implements ClusterMetadata {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterMetadataImpl.class);
    private static final Pattern LEGAL_TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
    /** Producer ids reserved per metadata round trip. */
    static final int PRODUCER_ID_BLOCK = 1000;

    private final LocalServer server;
    private final Supplier<MetadataState> state;
    private final DataGroups groups;
    private final MetadataWriter writer;
    private final PreferredLeaders preferredLeaders;
    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();

    private final Object pidLock = new Object();
    private long nextPid;
    private long pidLimit;
    private CompletableFuture<Void> pidRefill;

    /**
     * @param state  the metadata as applied on this node
     * @param groups the local data groups (leaders, epochs and in-sync replicas of the partitions hosted here)
     * @param writer submits the changes
     * @param preferredLeaders moves group leadership to preferred replicas
     */
    ClusterMetadataImpl(LocalServer server, Supplier<MetadataState> state, DataGroups groups, MetadataWriter writer,
            PreferredLeaders preferredLeaders) {
        this.server = server;
        this.state = state;
        this.groups = groups;
        this.writer = writer;
        this.preferredLeaders = preferredLeaders;
    }

    private MetadataState state() {
        return state.get();
    }

    @Override
    public int localNodeId() {
        return server.settings().nodeId();
    }

    @Override
    public String clusterId() {
        String id = state().clusterId;
        return id == null ? "" : id;
    }

    @Override
    public int controllerId() {
        return server.metadataLeader();
    }

    /**
     * The registered brokers; this node fenced as well while its own session has lapsed ({@link LocalServer#inSession}):
     * cut off from the metadata group, what it applied may be stale, and a client that asks it for metadata is then
     * sent to the other brokers (a Kafka client asks the least loaded of the brokers it was last told of).
     */
    @Override
    public Collection<BrokerInfo> brokers() {
        Collection<MetadataState.Broker> all = state().brokers.values();
        if (server.inSession()) {
            return List.copyOf(all);
        }
        int self = server.settings().nodeId();
        return all.stream().map(b -> b.nodeId() == self && !b.fenced() ? b.withFencedAt(Long.MAX_VALUE) : b)
                .map(BrokerInfo.class::cast).toList();
    }

    @Override
    public int configuredNodes() {
        return server.settings().peers().size();
    }

    @Override
    public Collection<TopicInfo> topics() {
        MetadataState s = state();
        List<TopicInfo> result = new ArrayList<>(s.topics.size());
        for (MetadataState.Topic t : s.topics.values()) {
            result.add(toInfo(s, t));
        }
        return result;
    }

    @Override
    public Optional<TopicInfo> topic(String name) {
        MetadataState s = state();
        MetadataState.Topic t = s.topics.get(name);
        return t == null ? Optional.empty() : Optional.of(toInfo(s, t));
    }

    private TopicInfo toInfo(MetadataState s, MetadataState.Topic t) {
        List<PartitionInfo> partitions = new ArrayList<>(t.groups().size());
        for (int p = 0; p < t.groups().size(); p++) {
            int groupNo = t.groups().get(p);
            partitions.add(partition(s, t.name(), p, groupNo, localView(groups.get(groupNo))));
        }
        return new Infos.Topic(t.name(), t.id(), partitions, t.configs());
    }

    /** What this node's own replica of a data group knows of its leadership, or null if it hosts none. */
    private Infos.LocalLeader localView(DataGroup local) {
        if (local == null || local.division() == null) {
            return null;
        }
        return new Infos.LocalLeader(server.settings().nodeId(), local.leaderNodeId(), local.term());
    }

    /**
     * A partition as every node describes it, from the applied metadata: the leader its data group last reported
     * (-1 if that broker is fenced), the in-sync replicas the leader last published and the replicas on fenced
     * brokers as offline, both without fenced brokers. A node that hosts the group ({@code local}, may be null) knows
     * better where its own replica has seen a later term than the metadata reports (or none yet), or where the
     * reported leader is this node and it no longer leads (it stepped down, cut off): it describes the leader its
     * replica knows of that term, or -1 (LEADER_NOT_AVAILABLE) while it knows none, so that a client is never sent
     * back to a leader that is known to be deposed.
     */
    static Infos.Partition partition(MetadataState s, String topic, int p, int groupNo, Infos.LocalLeader local) {
        MetadataState.Group g = s.groups.get(groupNo);
        List<Integer> replicas = g == null ? List.of() : g.replicas();
        MetadataState.Leader reported = s.leaders.get(groupNo);
        int leader = -1;
        int epoch = 0;
        if (reported != null) {
            leader = reported.nodeId();
            epoch = (int) reported.term();
        }
        if (local != null && (reported == null || local.term() > reported.term()
                || (local.term() == reported.term() && reported.nodeId() == local.self() && local.leader() != local.self()))) {
            leader = local.leader();
            epoch = local.term();
        }
        epoch += s.moves.epochBase(topic, p);
        if (leader >= 0 && isFenced(s, leader)) {
            leader = -1; // known to be dead: never advertised
        }
        List<Integer> isr = new ArrayList<>();
        List<Integer> offline = new ArrayList<>();
        for (Integer r : s.isrs.getOrDefault(groupNo, replicas)) {
            if (!isFenced(s, r)) {
                isr.add(r);
            }
        }
        for (Integer r : replicas) {
            if (isFenced(s, r)) {
                offline.add(r);
            }
        }
        return new Infos.Partition(topic, p, leader, epoch, replicas, isr, offline);
    }

    private static boolean isFenced(MetadataState s, int nodeId) {
        MetadataState.Broker b = s.brokers.get(nodeId);
        return b != null && b.fenced();
    }

    @Override
    public void validateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs)
            throws ConsensusException {
        validateName(name);
        if (state().topics.containsKey(name)) {
            throw new ConsensusException(Reason.TOPIC_EXISTS, "topic '" + name + "' already exists");
        }
        int p = partitions == -1 ? server.settings().defaultPartitions() : partitions;
        if (p < 1) {
            throw new ConsensusException(Reason.INVALID_PARTITIONS, "partitions must be at least 1, got " + partitions);
        }
        int rf = replicationFactor == -1 ? server.settings().defaultReplicationFactor() : replicationFactor;
        int brokers = state().liveBrokers().size();
        if (rf < 1 || rf > brokers) {
            throw new ConsensusException(Reason.INVALID_REPLICATION_FACTOR, "replication factor " + replicationFactor
                    + " is invalid with " + brokers + " live (unfenced) broker(s)");
        }
        validateConfigs(configs);
    }

    @Override
    public void validateTopic(String name, List<List<Integer>> assignment, Map<String, String> configs)
            throws ConsensusException {
        validateName(name);
        MetadataState s = state();
        if (s.topics.containsKey(name)) {
            throw new ConsensusException(Reason.TOPIC_EXISTS, "topic '" + name + "' already exists");
        }
        String refused = ReplicaPlacer.checkAssignment(s.liveBrokers(), assignment, -1);
        if (refused != null) {
            throw new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT, refused);
        }
        validateConfigs(configs);
    }

    static void validateName(String name) throws ConsensusException {
        if (name == null || !LEGAL_TOPIC.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new ConsensusException(Reason.INVALID_TOPIC, "illegal topic name '" + name
                    + "': 1 to 249 characters of [a-zA-Z0-9._-], not '.' or '..'");
        }
    }

    static void validateConfigs(Map<String, String> configs) throws ConsensusException {
        if (configs == null || configs.isEmpty()) {
            return;
        }
        Set<String> known = LogConfig.names();
        for (String k : configs.keySet()) {
            if (!known.contains(k)) {
                throw new ConsensusException(Reason.INVALID_CONFIG, "unknown topic config '" + k + "'");
            }
        }
        try {
            LogConfig.of(configs);
        } catch (IllegalArgumentException e) {
            throw new ConsensusException(Reason.INVALID_CONFIG, String.valueOf(e.getMessage()), -1, e);
        }
    }

    @Override
    public Map<String, String> topicConfigDefaults() {
        return new TreeMap<>(LogConfig.defaults());
    }

    @Override
    public CompletionStage<TopicInfo> createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        Map<String, String> c = configs == null ? Map.of() : configs;
        try {
            validateTopic(name, partitions, replicationFactor, c);
        } catch (ConsensusException e) {
            return CompletableFuture.failedFuture(e);
        }
        int p = partitions == -1 ? server.settings().defaultPartitions() : partitions;
        int rf = replicationFactor == -1 ? server.settings().defaultReplicationFactor() : replicationFactor;
        MetaCommand cmd = new MetaCommand.CreateTopic(name, UUID.randomUUID(), p, rf, new TreeMap<>(c),
                server.settings().divisionBudget());
        return writer.submit(cmd, true).thenCompose(r -> writer.awaitLeaders(name)).thenApply(v -> topicOrFail(name));
    }

    @Override
    public CompletionStage<TopicInfo> createTopic(String name, List<List<Integer>> assignment, Map<String, String> configs) {
        Map<String, String> c = configs == null ? Map.of() : configs;
        List<List<Integer>> copy = copyOf(assignment);
        try {
            validateTopic(name, copy, c);
        } catch (ConsensusException e) {
            return CompletableFuture.failedFuture(e);
        }
        MetaCommand cmd = new MetaCommand.CreateTopic(name, UUID.randomUUID(), copy.size(), copy.get(0).size(),
                new TreeMap<>(c), server.settings().divisionBudget(), true, copy);
        return writer.submit(cmd, true).thenCompose(r -> writer.awaitLeaders(name)).thenApply(v -> topicOrFail(name));
    }

    /** An immutable copy of an assignment; an empty one for null, a null list stays empty (refused later). */
    private static List<List<Integer>> copyOf(List<List<Integer>> assignment) {
        List<List<Integer>> copy = new ArrayList<>();
        if (assignment != null) {
            for (List<Integer> replicas : assignment) {
                copy.add(replicas == null || replicas.stream().anyMatch(java.util.Objects::isNull) ? List.of()
                        : List.copyOf(replicas));
            }
        }
        return List.copyOf(copy);
    }

    private TopicInfo topicOrFail(String name) {
        return topic(name).orElseThrow(() -> new CompletionException(
                new ConsensusException(Reason.UNKNOWN_TOPIC, "topic '" + name + "' disappeared")));
    }

    @Override
    public CompletionStage<Long> allocateProducerId() {
        synchronized (pidLock) {
            if (nextPid < pidLimit) {
                return CompletableFuture.completedFuture(nextPid++);
            }
            CompletableFuture<Void> refill = pidRefill;
            if (refill == null) {
                CompletableFuture<Void> f = writer.submit(
                        new MetaCommand.AllocateProducerIds(localNodeId(), PRODUCER_ID_BLOCK), false).thenAccept(r -> {
                            synchronized (pidLock) {
                                nextPid = r.value();
                                pidLimit = r.value() + PRODUCER_ID_BLOCK;
                            }
                        });
                pidRefill = f;
                f.whenComplete((v, e) -> {
                    synchronized (pidLock) {
                        if (pidRefill == f) {
                            pidRefill = null;
                        }
                    }
                });
                refill = f;
            }
            return refill.thenCompose(v -> allocateProducerId());
        }
    }

    @Override
    public CompletionStage<Void> deleteTopic(String name) {
        if (!state().topics.containsKey(name)) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.UNKNOWN_TOPIC, "topic '" + name + "' does not exist"));
        }
        return writer.submit(new MetaCommand.DeleteTopic(name), true).thenApply(r -> null);
    }

    @Override
    public CompletionStage<TopicInfo> createPartitions(String topic, int totalPartitions) {
        return writer.submit(new MetaCommand.CreatePartitions(topic, totalPartitions, server.settings().divisionBudget()), true)
                .thenCompose(r -> writer.awaitLeaders(topic)).thenApply(v -> topicOrFail(topic));
    }

    @Override
    public CompletionStage<TopicInfo> createPartitions(String topic, int totalPartitions, List<List<Integer>> assignment) {
        List<List<Integer>> copy = copyOf(assignment);
        if (copy.isEmpty()) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT,
                    "the manual partition assignment names no partitions"));
        }
        return writer.submit(new MetaCommand.CreatePartitions(topic, totalPartitions, server.settings().divisionBudget(),
                true, copy), true).thenCompose(r -> writer.awaitLeaders(topic)).thenApply(v -> topicOrFail(topic));
    }

    @Override
    public CompletionStage<TopicInfo> alterTopicConfigs(String topic, Map<String, String> set, Set<String> delete) {
        Map<String, String> s = set == null ? Map.of() : set;
        Set<String> d = delete == null ? Set.of() : delete;
        try {
            MetadataState.Topic t = state().topics.get(topic);
            if (t == null) {
                throw new ConsensusException(Reason.UNKNOWN_TOPIC, "topic '" + topic + "' does not exist");
            }
            validateConfigs(s);
            Set<String> known = LogConfig.names();
            for (String k : d) {
                if (!known.contains(k)) {
                    throw new ConsensusException(Reason.INVALID_CONFIG, "unknown topic config '" + k + "'");
                }
            }
            Map<String, String> merged = new TreeMap<>(t.configs());
            merged.keySet().removeAll(d);
            merged.putAll(s);
            validateConfigs(merged);
        } catch (ConsensusException e) {
            return CompletableFuture.failedFuture(e);
        }
        return writer.submit(new MetaCommand.AlterConfigs(topic, new TreeMap<>(s), new HashSet<>(d)), false)
                .thenApply(r -> topicOrFail(topic));
    }

    @Override
    public CompletionStage<Void> reassignPartition(String topic, int partition, List<Integer> targetReplicas) {
        if (targetReplicas != null && targetReplicas.isEmpty()) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT,
                    "the reassignment of " + topic + "-" + partition + " names no replicas"));
        }
        List<Integer> target = targetReplicas == null ? List.of() : List.copyOf(targetReplicas);
        return writer.submit(new ReassignPartition(topic, partition, target, server.settings().divisionBudget()), false)
                .thenApply(r -> null);
    }

    @Override
    public Collection<Reassignment> reassignments() {
        MetadataState s = state();
        List<Reassignment> result = new ArrayList<>();
        for (PartitionMoves.Pending m : s.moves.pending().values()) {
            MetadataState.Group source = s.groups.get(m.sourceGroup());
            MetadataState.Group target = s.groups.get(m.targetGroup());
            if (source != null && target != null) {
                result.add(new Infos.Move(m.topic(), m.partition(), source.replicas(), target.replicas()));
            }
        }
        return result;
    }

    @Override
    public CompletionStage<Map<String, Map<Integer, ElectionResult>>> electPreferredLeaders(Map<String, Set<Integer>> partitions) {
        if (server.serverOrNull() == null) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.NOT_AVAILABLE, "node is not running"));
        }
        return preferredLeaders.elect(partitions);
    }

    @Override
    public void addListener(MetadataListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(MetadataListener listener) {
        listeners.remove(listener);
    }

    void fireChanged() {
        for (MetadataListener l : listeners) {
            try {
                l.metadataChanged(this);
            } catch (RuntimeException e) {
                LOG.warn("metadata listener {} failed", l, e);
            }
        }
    }
}
