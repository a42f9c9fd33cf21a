package io.chronik.protocol.kafka.internal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.MutableRecordBatch;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;
import org.apache.kafka.common.record.TimestampType;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.ElectionResult;
import io.chronik.api.consensus.MetadataListener;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.Reassignment;
import io.chronik.api.consensus.TopicInfo;

/**
 * TEST FIXTURE: a single-node, in-memory implementation of {@link ClusterMetadata} and {@link PartitionLogs} that
 * follows the API contracts (asynchronous writes completed on a "commit" thread, offsets assigned by rewriting
 * each batch's base offset, CRC and idempotence checks, high watermark, max-bytes reads, long-poll waits). It
 * stands in for the Ratis consensus provider in this bundle's tests.
 */
final class InMemoryCluster implements ClusterMetadata, PartitionLogs, AutoCloseable {
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]+");

    static final Map<String, String> DEFAULTS = Map.of("cleanup.policy", "delete", "retention.ms", "604800000",
            "retention.bytes", "-1", "segment.bytes", "1073741824", "max.message.bytes", "1048588",
            "min.insync.replicas", "1", "message.timestamp.type", "CreateTime", "compression.type", "producer");

    private final int nodeId;
    private volatile int port;
    private final ExecutorService commit = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "in-memory-commit");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    private final Map<String, Log> logs = new ConcurrentHashMap<>();
    private final AtomicLong producerIds = new AtomicLong(1000);
    private final List<MetadataListener> listeners = new CopyOnWriteArrayList<>();
    private volatile ElectionResult electionResult = ElectionResult.NOT_NEEDED;
    /** Brokers registered besides this node (test hook {@link #registerBroker}); they serve nothing. */
    private final Map<Integer, Broker> otherBrokers = new ConcurrentHashMap<>();
    private volatile boolean localFenced;
    /** Reassignments in progress by "topic-partition"; only while {@link #holdReassignments} holds them. */
    private final Map<String, Move> moves = new ConcurrentHashMap<>();
    private volatile boolean holdReassignments;
    private volatile Reason reassignFailure;

    InMemoryCluster(int nodeId) {
        this.nodeId = nodeId;
    }

    void setPort(int port) {
        this.port = port;
    }

    Log logOf(String topic, int partition) {
        return logs.get(topic + "-" + partition);
    }

    @Override
    public void close() {
        commit.shutdownNow();
    }

    // ---- metadata -------------------------------------------------------------------------------------------

    record Broker(int nodeId, String host, int port, String rack, boolean fenced) implements BrokerInfo {
    }

    /** A reassignment in progress. */
    record Move(String topic, int partition, List<Integer> currentReplicas, List<Integer> targetReplicas)
            implements Reassignment {
    }

    record Partition(String topic, int partition, int leader, int leaderEpoch, List<Integer> replicas,
            List<Integer> inSyncReplicas) implements PartitionInfo {
    }

    record Topic(String name, UUID id, List<PartitionInfo> partitions, Map<String, String> configs) implements TopicInfo {
    }

    @Override
    public int localNodeId() {
        return nodeId;
    }

    @Override
    public String clusterId() {
        return "in-memory-cluster";
    }

    @Override
    public int controllerId() {
        return nodeId;
    }

    @Override
    public int configuredNodes() {
        return 1;
    }

    @Override
    public Collection<BrokerInfo> brokers() {
        List<BrokerInfo> all = new ArrayList<>();
        all.add(new Broker(nodeId, "localhost", port, null, localFenced));
        otherBrokers.values().forEach(b -> all.add(new Broker(b.nodeId(), "localhost", port, b.rack(), b.fenced())));
        return List.copyOf(all);
    }

    /**
     * Test hook: registers another broker, fenced or not, advertised at this node's address (so a client that talks
     * to it reaches this node). It holds no replicas until a reassignment names it; it makes a reassignment to other
     * replicas possible.
     */
    void registerBroker(int id, boolean fenced) {
        registerBroker(id, fenced, null);
    }

    /** Test hook: {@link #registerBroker(int, boolean)} in {@code rack}. */
    void registerBroker(int id, boolean fenced, String rack) {
        otherBrokers.put(id, new Broker(id, "localhost", 0, rack, fenced));
        listeners.forEach(l -> l.metadataChanged(this));
    }

    /** Test hook: fences or unfences this node's own broker, as a session timeout would. */
    void fenceLocalBroker(boolean fenced) {
        localFenced = fenced;
        listeners.forEach(l -> l.metadataChanged(this));
    }

    /** Test hook: sets a partition's in-sync replicas (its replicas become the same list), keeping its leader. */
    void setInSyncReplicas(String topic, int partition, List<Integer> isr) {
        Topic t = topics.get(topic);
        List<PartitionInfo> parts = new ArrayList<>(t.partitions());
        PartitionInfo old = parts.get(partition);
        parts.set(partition, new Partition(topic, partition, old.leader(), old.leaderEpoch(), List.copyOf(isr),
                List.copyOf(isr)));
        topics.put(topic, new Topic(t.name(), t.id(), List.copyOf(parts), t.configs()));
        listeners.forEach(l -> l.metadataChanged(this));
    }

    @Override
    public Collection<TopicInfo> topics() {
        return List.copyOf(topics.values());
    }

    @Override
    public Optional<TopicInfo> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    private <T> CompletionStage<T> async(Callable<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        commit.execute(() -> {
            try {
                f.complete(work.call());
                listeners.forEach(l -> l.metadataChanged(this));
            } catch (ConsensusException e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private interface Callable<T> {
        T call() throws ConsensusException;
    }

    @Override
    public CompletionStage<TopicInfo> createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) {
        return async(() -> {
            synchronized (this) {
                validateTopic(name, partitions, replicationFactor, configs);
                return create(name, partitions, configs);
            }
        });
    }

    private Topic create(String name, int partitions, Map<String, String> configs) {
        Topic t = new Topic(name, UUID.randomUUID(), partitionInfos(name, 0, partitions), Map.copyOf(configs));
        for (int p = 0; p < partitions; p++) {
            logs.put(name + "-" + p, new Log(name, p));
        }
        topics.put(name, t);
        return t;
    }

    @Override
    public CompletionStage<TopicInfo> createTopic(String name, List<List<Integer>> assignment, Map<String, String> configs) {
        return async(() -> {
            synchronized (this) {
                validateTopic(name, assignment, configs);
                return create(name, assignment.size(), configs);
            }
        });
    }

    @Override
    public void validateTopic(String name, List<List<Integer>> assignment, Map<String, String> configs)
            throws ConsensusException {
        validateTopic(name, 1, 1, configs);
        checkAssignment(assignment, -1);
    }

    /** Kafka's rules for manual assignments, against this cluster's one broker. */
    private void checkAssignment(List<List<Integer>> assignment, int rf) throws ConsensusException {
        for (List<Integer> replicas : assignment) {
            if (replicas.isEmpty() || replicas.size() != Set.copyOf(replicas).size() || !replicas.equals(List.of(nodeId))
                    || (rf != -1 && replicas.size() != rf)) {
                throw new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT, "invalid replica list " + replicas);
            }
            rf = replicas.size();
        }
    }

    private List<PartitionInfo> partitionInfos(String name, int from, int to) {
        List<PartitionInfo> list = new ArrayList<>();
        for (int p = from; p < to; p++) {
            list.add(new Partition(name, p, nodeId, 0, List.of(nodeId), List.of(nodeId)));
        }
        return list;
    }

    @Override
    public void validateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs)
            throws ConsensusException {
        if (name == null || name.isEmpty() || name.length() > 249 || name.equals(".") || name.equals("..")
                || !LEGAL_NAME.matcher(name).matches()) {
            throw new ConsensusException(Reason.INVALID_TOPIC, "illegal topic name '" + name + "'");
        }
        if (topics.containsKey(name)) {
            throw new ConsensusException(Reason.TOPIC_EXISTS, "Topic '" + name + "' already exists.");
        }
        if (partitions <= 0) {
            throw new ConsensusException(Reason.INVALID_PARTITIONS, "partitions must be positive");
        }
        if (replicationFactor <= 0 || replicationFactor > brokers().stream().filter(b -> !b.fenced()).count()) {
            throw new ConsensusException(Reason.INVALID_REPLICATION_FACTOR,
                    "replication factor " + replicationFactor + " larger than the " + brokers().size() + " broker(s)");
        }
        validateConfigs(configs);
    }

    private static void validateConfigs(Map<String, String> configs) throws ConsensusException {
        for (Map.Entry<String, String> e : configs.entrySet()) {
            if (!DEFAULTS.containsKey(e.getKey()) || e.getValue() == null) {
                throw new ConsensusException(Reason.INVALID_CONFIG, "unknown or null config " + e.getKey());
            }
            if (e.getKey().endsWith(".ms") || e.getKey().endsWith(".bytes")) {
                try {
                    Long.parseLong(e.getValue());
                } catch (NumberFormatException x) {
                    throw new ConsensusException(Reason.INVALID_CONFIG, "invalid value " + e.getValue() + " for " + e.getKey());
                }
            }
        }
    }

    @Override
    public Map<String, String> topicConfigDefaults() {
        return DEFAULTS;
    }

    @Override
    public CompletionStage<Long> allocateProducerId() {
        return async(producerIds::incrementAndGet);
    }

    @Override
    public CompletionStage<Void> deleteTopic(String name) {
        return async(() -> {
            synchronized (this) {
                Topic t = topics.remove(name);
                if (t == null) {
                    throw new ConsensusException(Reason.UNKNOWN_TOPIC, name);
                }
                moves.values().removeIf(m -> m.topic().equals(name));
                for (int p = 0; p < t.partitions().size(); p++) {
                    Log log = logs.remove(name + "-" + p);
                    log.closeLog();
                }
                return null;
            }
        });
    }

    @Override
    public CompletionStage<TopicInfo> createPartitions(String topic, int totalPartitions) {
        return async(() -> {
            synchronized (this) {
                Topic t = topics.get(topic);
                if (t == null) {
                    throw new ConsensusException(Reason.UNKNOWN_TOPIC, topic);
                }
                int current = t.partitions().size();
                if (totalPartitions <= current) {
                    throw new ConsensusException(Reason.INVALID_PARTITIONS, "cannot lower partitions");
                }
                List<PartitionInfo> all = new ArrayList<>(t.partitions());
                all.addAll(partitionInfos(topic, current, totalPartitions));
                for (int p = current; p < totalPartitions; p++) {
                    logs.put(topic + "-" + p, new Log(topic, p));
                }
                Topic n = new Topic(topic, t.id(), List.copyOf(all), t.configs());
                topics.put(topic, n);
                return n;
            }
        });
    }

    @Override
    public CompletionStage<TopicInfo> createPartitions(String topic, int totalPartitions, List<List<Integer>> assignment) {
        try {
            checkAssignment(assignment, 1);
        } catch (ConsensusException e) {
            return CompletableFuture.failedFuture(e);
        }
        Topic t = topics.get(topic);
        if (t != null && assignment.size() != totalPartitions - t.partitions().size()) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT,
                    assignment.size() + " replica lists for " + (totalPartitions - t.partitions().size()) + " new partitions"));
        }
        return createPartitions(topic, totalPartitions);
    }

    @Override
    public CompletionStage<TopicInfo> alterTopicConfigs(String topic, Map<String, String> set, Set<String> delete) {
        return async(() -> {
            synchronized (this) {
                Topic t = topics.get(topic);
                if (t == null) {
                    throw new ConsensusException(Reason.UNKNOWN_TOPIC, topic);
                }
                validateConfigs(set);
                for (String name : delete) {
                    if (!DEFAULTS.containsKey(name)) { // as the Ratis provider: only known configs can be removed
                        throw new ConsensusException(Reason.INVALID_CONFIG, "unknown topic config '" + name + "'");
                    }
                }
                Map<String, String> configs = new HashMap<>(t.configs());
                configs.keySet().removeAll(delete);
                configs.putAll(set);
                Topic n = new Topic(topic, t.id(), t.partitions(), Map.copyOf(configs));
                topics.put(topic, n);
                return n;
            }
        });
    }

    /**
     * What {@link #electPreferredLeaders} answers for existing partitions: NOT_NEEDED by default (this single node
     * is every partition's preferred leader); tests set ELECTED or PREFERRED_NOT_AVAILABLE.
     */
    void setElectionResult(ElectionResult result) {
        electionResult = result;
    }

    @Override
    public CompletionStage<Map<String, Map<Integer, ElectionResult>>> electPreferredLeaders(Map<String, Set<Integer>> partitions) {
        return async(() -> {
            Map<String, Map<Integer, ElectionResult>> results = new HashMap<>();
            Map<String, Set<Integer>> wanted = partitions;
            if (wanted == null) {
                wanted = new HashMap<>();
                for (Topic t : topics.values()) {
                    Set<Integer> all = new java.util.TreeSet<>();
                    t.partitions().forEach(p -> all.add(p.partition()));
                    wanted.put(t.name(), all);
                }
            }
            wanted.forEach((topic, parts) -> {
                Topic t = topics.get(topic);
                Map<Integer, ElectionResult> r = results.computeIfAbsent(topic, k -> new HashMap<>());
                for (Integer p : parts) {
                    boolean known = t != null && p >= 0 && p < t.partitions().size();
                    r.put(p, known ? electionResult : ElectionResult.UNKNOWN_PARTITION);
                }
            });
            return results;
        });
    }

    /**
     * Test hook: while held, a reassignment to other replicas stays in progress (listed by {@link #reassignments()})
     * until {@link #completeReassignments()}; otherwise it completes as soon as it is recorded.
     */
    void holdReassignments(boolean hold) {
        holdReassignments = hold;
    }

    /** Test hook: every {@link #reassignPartition} fails with {@code reason} (as the provider does when its metadata
     * group has no leader), or, with {@code null}, works again. */
    void failReassignments(Reason reason) {
        reassignFailure = reason;
    }

    /** Test hook: completes every reassignment in progress (the partitions switch to their target replicas). */
    CompletionStage<Void> completeReassignments() {
        return async(() -> {
            synchronized (this) {
                moves.values().forEach(this::switchReplicas);
                moves.clear();
                return null;
            }
        });
    }

    @Override
    public CompletionStage<Void> reassignPartition(String topic, int partition, List<Integer> targetReplicas) {
        List<Integer> target = targetReplicas == null ? null : List.copyOf(targetReplicas);
        Reason failure = reassignFailure;
        if (failure != null) {
            return CompletableFuture.failedFuture(new ConsensusException(failure, "the metadata cannot be changed now"));
        }
        return async(() -> {
            synchronized (this) {
                Topic t = topics.get(topic);
                if (t == null) {
                    throw new ConsensusException(Reason.UNKNOWN_TOPIC, "topic '" + topic + "' does not exist");
                }
                if (partition < 0 || partition >= t.partitions().size()) {
                    throw new ConsensusException(Reason.UNKNOWN_PARTITION, "topic '" + topic + "' has no partition " + partition);
                }
                String key = topic + "-" + partition;
                if (target == null) {
                    if (moves.remove(key) == null) {
                        throw new ConsensusException(Reason.NO_REASSIGNMENT_IN_PROGRESS,
                                "no reassignment of " + key + " is in progress");
                    }
                    return null;
                }
                checkReplicas(target);
                PartitionInfo p = t.partitions().get(partition);
                moves.remove(key);
                if (!target.equals(p.replicas())) {
                    Move m = new Move(topic, partition, p.replicas(), target);
                    if (holdReassignments) {
                        moves.put(key, m);
                    } else {
                        switchReplicas(m);
                    }
                }
                return null;
            }
        });
    }

    /** The rules of the Ratis provider: a non-empty list of distinct, registered, unfenced brokers. */
    private void checkReplicas(List<Integer> replicas) throws ConsensusException {
        if (replicas.isEmpty()) {
            throw new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT, "the replica list is empty");
        }
        if (Set.copyOf(replicas).size() != replicas.size()) {
            throw new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT, "a broker is named twice in " + replicas);
        }
        for (Integer id : replicas) {
            BrokerInfo b = brokers().stream().filter(x -> x.nodeId() == id).findFirst().orElse(null);
            if (b == null || b.fenced()) {
                throw new ConsensusException(Reason.INVALID_REPLICA_ASSIGNMENT,
                        "broker " + id + (b == null ? " is not registered" : " is fenced"));
            }
        }
    }

    /** Called under the lock on the commit thread. */
    private void switchReplicas(Move m) {
        Topic t = topics.get(m.topic());
        if (t == null) {
            return;
        }
        List<PartitionInfo> parts = new ArrayList<>(t.partitions());
        PartitionInfo old = parts.get(m.partition());
        int leader = m.targetReplicas().contains(nodeId) ? nodeId : m.targetReplicas().get(0);
        parts.set(m.partition(), new Partition(m.topic(), m.partition(), leader, old.leaderEpoch(), m.targetReplicas(),
                m.targetReplicas()));
        topics.put(m.topic(), new Topic(t.name(), t.id(), List.copyOf(parts), t.configs()));
    }

    @Override
    public Collection<Reassignment> reassignments() {
        return List.copyOf(moves.values());
    }

    @Override
    public void addListener(MetadataListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(MetadataListener listener) {
        listeners.remove(listener);
    }

    // ---- logs -----------------------------------------------------------------------------------------------

    @Override
    public Optional<PartitionLog> log(String topic, int partition) {
        return Optional.ofNullable(logs.get(topic + "-" + partition));
    }

    private record StoredBatch(long baseOffset, long lastOffset, ByteBuffer bytes) {
    }

    /** An appended batch of a producer: its sequence range and base offset. */
    private record ProducerBatch(int baseSeq, int lastSeq, long baseOffset) {
    }

    /** A producer's epoch and its last (up to) five batches, newest last, as Kafka and the Ratis provider keep. */
    private record ProducerState(short epoch, List<ProducerBatch> recent) {
        static final int KEPT = 5;

        ProducerBatch find(int baseSeq, int lastSeq) {
            for (ProducerBatch b : recent) {
                if (b.baseSeq() == baseSeq && b.lastSeq() == lastSeq) {
                    return b;
                }
            }
            return null;
        }

        ProducerState with(short newEpoch, ProducerBatch batch) {
            List<ProducerBatch> kept = new ArrayList<>(newEpoch == epoch ? recent : List.of());
            kept.add(batch);
            while (kept.size() > KEPT) {
                kept.remove(0);
            }
            return new ProducerState(newEpoch, List.copyOf(kept));
        }
    }

    private record AppendResultImpl(long baseOffset, long logAppendTime, long logStartOffset)
            implements PartitionLog.AppendResult {
    }

    private record TimestampOffsetImpl(long timestamp, long offset, int leaderEpoch) implements PartitionLog.TimestampOffset {
    }

    private record EpochEnd(int leaderEpoch, long endOffset) implements PartitionLog.EpochEndOffset {
    }

    final class Log implements PartitionLog {
        private final String topic;
        private final int partition;
        private final List<StoredBatch> batches = new ArrayList<>();
        private final Map<Long, ProducerState> producers = new HashMap<>();
        private final List<CompletableFuture<Void>> waiters = new ArrayList<>();
        private volatile long highWatermark;
        private volatile long logStartOffset;
        private volatile boolean leader = true;
        private volatile int epoch;
        private volatile boolean closed;
        /** Test hook: set, read barriers fail with it. */
        volatile RuntimeException barrierFailure;
        /** Test hook: appends wait for this before committing. */
        volatile CompletableFuture<Void> commitGate = CompletableFuture.completedFuture(null);

        Log(String topic, int partition) {
            this.topic = topic;
            this.partition = partition;
        }

        void setLeader(boolean leader) {
            this.leader = leader;
        }

        synchronized int waiterCount() {
            waiters.removeIf(CompletableFuture::isDone);
            return waiters.size();
        }

        void closeLog() {
            List<CompletableFuture<Void>> w;
            synchronized (this) {
                closed = true;
                w = new ArrayList<>(waiters);
                waiters.clear();
            }
            w.forEach(f -> f.complete(null));
        }

        @Override
        public String topic() {
            return topic;
        }

        @Override
        public int partition() {
            return partition;
        }

        @Override
        public boolean isLeader() {
            return leader;
        }

        @Override
        public int leaderEpoch() {
            return epoch;
        }

        @Override
        public CompletionStage<AppendResult> append(ByteBuffer input) {
            CompletableFuture<AppendResult> f = new CompletableFuture<>();
            // the bytes "travel to the quorum": copied before the stage completes, as a replicated log would
            ByteBuffer copy = ByteBuffer.allocate(input.remaining());
            copy.put(input.duplicate()).flip();
            commitGate.thenRunAsync(() -> {
                try {
                    f.complete(commitAppend(copy));
                } catch (ConsensusException e) {
                    f.completeExceptionally(e);
                } catch (RuntimeException e) {
                    f.completeExceptionally(new ConsensusException(Reason.CORRUPT_RECORD, e.toString()));
                }
            }, commit);
            return f;
        }

        /** The topic's configs over the defaults. */
        private Map<String, String> configs() {
            Topic t = topics.get(topic);
            Map<String, String> merged = new HashMap<>(DEFAULTS);
            if (t != null) {
                merged.putAll(t.configs());
            }
            return merged;
        }

        private AppendResult commitAppend(ByteBuffer bytes) throws ConsensusException {
            List<CompletableFuture<Void>> wake;
            AppendResult result;
            synchronized (this) {
                if (!leader) {
                    throw new ConsensusException(Reason.NOT_LEADER, "not the leader");
                }
                Map<String, String> configs = configs();
                int maxMessageBytes = Integer.parseInt(configs.get("max.message.bytes"));
                boolean logAppendTime = "LogAppendTime".equals(configs.get("message.timestamp.type"));
                long now = System.currentTimeMillis();
                MemoryRecords records = MemoryRecords.readableRecords(bytes);
                List<MutableRecordBatch> list = new ArrayList<>();
                int total = 0;
                for (MutableRecordBatch b : records.batches()) {
                    if (b.magic() != RecordBatch.MAGIC_VALUE_V2) {
                        throw new ConsensusException(Reason.CORRUPT_RECORD, "magic " + b.magic());
                    }
                    if (!b.isValid()) {
                        throw new ConsensusException(Reason.CORRUPT_RECORD, "CRC mismatch");
                    }
                    if (b.sizeInBytes() > maxMessageBytes) {
                        throw new ConsensusException(Reason.RECORD_TOO_LARGE, "batch of " + b.sizeInBytes()
                                + " bytes exceeds max.message.bytes " + maxMessageBytes);
                    }
                    list.add(b);
                    total += b.sizeInBytes();
                }
                if (list.isEmpty() || total != bytes.remaining()) {
                    throw new ConsensusException(Reason.CORRUPT_RECORD, "incomplete batch");
                }
                MutableRecordBatch first = list.get(0);
                if (first.hasProducerId()) {
                    ProducerState s = producers.get(first.producerId());
                    if (s != null && s.epoch() == first.producerEpoch()) {
                        ProducerBatch dup = s.find(first.baseSequence(), first.lastSequence());
                        if (dup != null) {
                            return new AppendResultImpl(dup.baseOffset(), -1, logStartOffset); // a retry
                        }
                        int lastSeq = s.recent().get(s.recent().size() - 1).lastSeq();
                        if (first.baseSequence() != lastSeq + 1) {
                            throw new ConsensusException(Reason.OUT_OF_ORDER_SEQUENCE,
                                    "expected " + (lastSeq + 1) + ", got " + first.baseSequence());
                        }
                    } else if (s != null && first.producerEpoch() < s.epoch()) {
                        throw new ConsensusException(Reason.INVALID_PRODUCER_EPOCH, "old epoch");
                    } else if (first.baseSequence() != 0) {
                        throw new ConsensusException(Reason.OUT_OF_ORDER_SEQUENCE, "new producer must start at 0");
                    }
                }
                long base = highWatermark;
                long next = base;
                for (MutableRecordBatch b : list) {
                    b.setLastOffset(next + (b.lastOffset() - b.baseOffset()));
                    b.setPartitionLeaderEpoch(epoch);
                    if (logAppendTime) {
                        b.setMaxTimestamp(TimestampType.LOG_APPEND_TIME, now);
                    }
                    long last = b.lastOffset();
                    ByteBuffer stored = ByteBuffer.allocate(b.sizeInBytes());
                    b.writeTo(stored);
                    stored.flip();
                    batches.add(new StoredBatch(next, last, stored));
                    next = last + 1;
                }
                if (first.hasProducerId()) {
                    MutableRecordBatch last = list.get(list.size() - 1);
                    ProducerState s = producers.get(first.producerId());
                    ProducerBatch appended = new ProducerBatch(first.baseSequence(), last.lastSequence(), base);
                    producers.put(first.producerId(), s == null
                            ? new ProducerState(first.producerEpoch(), List.of(appended))
                            : s.with(first.producerEpoch(), appended));
                }
                highWatermark = next;
                result = new AppendResultImpl(base, logAppendTime ? now : -1, logStartOffset);
                wake = new ArrayList<>();
                for (Iterator<CompletableFuture<Void>> it = waiters.iterator(); it.hasNext(); ) {
                    wake.add(it.next());
                    it.remove();
                }
            }
            wake.forEach(w -> w.complete(null));
            return result;
        }

        @Override
        public synchronized ByteBuffer read(long offset, int maxBytes) throws ConsensusException {
            if (offset < logStartOffset || offset > highWatermark) {
                throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "offset " + offset + " outside ["
                        + logStartOffset + ", " + highWatermark + "]");
            }
            List<ByteBuffer> out = new ArrayList<>();
            int size = 0;
            for (StoredBatch b : batches) {
                if (b.lastOffset() < offset) {
                    continue;
                }
                int n = b.bytes().remaining();
                if (!out.isEmpty() && size + n > maxBytes) {
                    break;
                }
                out.add(b.bytes().duplicate());
                size += n;
                if (size >= maxBytes) {
                    break;
                }
            }
            ByteBuffer result = ByteBuffer.allocate(size);
            out.forEach(result::put);
            return result.flip();
        }

        @Override
        public CompletionStage<Void> readBarrier() {
            RuntimeException failure = barrierFailure;
            return failure == null ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(failure);
        }

        @Override
        public synchronized CompletionStage<Void> awaitBeyond(long offset) {
            if (highWatermark > offset || closed) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            waiters.add(f);
            return f;
        }

        @Override
        public long highWatermark() {
            return highWatermark;
        }

        @Override
        public long logStartOffset() {
            return logStartOffset;
        }

        @Override
        public synchronized TimestampOffset offsetForTimestamp(long timestamp) throws ConsensusException {
            if (timestamp == -1L) {
                return new TimestampOffsetImpl(-1, highWatermark, -1);
            }
            if (timestamp == -2L) {
                return new TimestampOffsetImpl(-1, logStartOffset, -1);
            }
            TimestampOffsetImpl best = null;
            for (StoredBatch b : batches) {
                for (MutableRecordBatch batch : MemoryRecords.readableRecords(b.bytes().duplicate()).batches()) {
                    for (Record r : batch) {
                        if (r.offset() < logStartOffset) {
                            continue;
                        }
                        if (timestamp == -3L) {
                            if (best == null || r.timestamp() > best.timestamp()) {
                                best = new TimestampOffsetImpl(r.timestamp(), r.offset(), batch.partitionLeaderEpoch());
                            }
                        } else if (r.timestamp() >= timestamp) {
                            return new TimestampOffsetImpl(r.timestamp(), r.offset(), batch.partitionLeaderEpoch());
                        }
                    }
                }
            }
            return best;
        }

        @Override
        public EpochEndOffset endOffsetForLeaderEpoch(int leaderEpoch) {
            return leaderEpoch < 0 ? null : new EpochEnd(epoch, highWatermark);
        }

        @Override
        public CompletionStage<Long> deleteRecordsBefore(long before) {
            if (!leader) {
                return CompletableFuture.failedFuture(new ConsensusException(Reason.NOT_LEADER, "not the leader"));
            }
            return async(() -> {
                synchronized (this) {
                    long offset = before == -1 ? highWatermark : before; // -1: the high watermark, as in Kafka
                    if (offset < 0 || offset > highWatermark) {
                        throw new ConsensusException(Reason.OFFSET_OUT_OF_RANGE, "offset " + before
                                + " is outside [0, " + highWatermark + "]");
                    }
                    if (offset > logStartOffset) {
                        logStartOffset = offset;
                        batches.removeIf(b -> b.lastOffset() < offset);
                    }
                    return logStartOffset;
                }
            });
        }
    }
}
