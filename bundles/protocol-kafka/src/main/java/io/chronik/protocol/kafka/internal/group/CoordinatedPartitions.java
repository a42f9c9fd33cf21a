package io.chronik.protocol.kafka.internal.group;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.ThreadUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;

/**
 * Which partitions of {@code __consumer_offsets} this node coordinates: creating the topic, placing a group on its
 * partition, answering FindCoordinator, and loading a partition's groups when this node comes to lead it (and
 * dropping them when it stops leading it). The {@link CoordinatorShard} rebuilds a loaded partition's groups; what
 * happens to them next is the {@link Listener}'s business.
 */
final class CoordinatedPartitions {
    static final String OFFSETS_TOPIC = "__consumer_offsets";
    private static final Logger LOG = LoggerFactory.getLogger(CoordinatedPartitions.class);

    /** Told when a partition's groups are loaded here and when they are dropped. */
    interface Listener {
        /** The groups of {@code shard} are rebuilt from its log; called before any request can reach them. */
        void loaded(CoordinatorShard shard);

        /** The shard is no longer coordinated here: its groups' waiting members must be answered. */
        void unloaded(CoordinatorShard shard);
    }

    /** The shard coordinating a group here, or why there is none. */
    record Lookup(CoordinatorShard shard, Errors error) {
    }

    private final GroupSettings settings;
    private final Supplier<ClusterMetadata> metadata;
    private final Supplier<PartitionLogs> logs;
    private final int rewriteThreshold;
    private final Listener listener;
    private final ExecutorService loader;
    private final Map<Integer, CoordinatorShard> shards = new ConcurrentHashMap<>();
    private final Map<Integer, CoordinatorShard> loading = new ConcurrentHashMap<>();
    private final Object loadLock = new Object();
    private final AtomicBoolean creatingTopic = new AtomicBoolean();
    private volatile boolean closed;

    CoordinatedPartitions(GroupSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs,
            int rewriteThreshold, Listener listener) {
        this.settings = settings;
        this.metadata = metadata;
        this.logs = logs;
        this.rewriteThreshold = rewriteThreshold;
        this.listener = listener;
        this.loader = Executors.newSingleThreadExecutor(ThreadUtils.createThreadFactory("chronik-group-loader", true));
    }

    static int partitionFor(String groupId, int partitions) {
        return (groupId.hashCode() & 0x7fffffff) % partitions;
    }

    /** The shards loaded here. */
    Collection<CoordinatorShard> active() {
        return shards.values();
    }

    /** FindCoordinator for a group: the leader of the group's offsets partition. Creates the offsets topic if needed. */
    GroupCoordinator.Coordinator findCoordinator(String groupId) {
        ClusterMetadata md = metadata.get();
        if (md == null) {
            return unavailable("the cluster metadata is not available right now");
        }
        Optional<TopicInfo> topic = md.topic(OFFSETS_TOPIC);
        if (topic.isEmpty()) {
            int rf = offsetsReplicationFactor(md);
            int registered = md.brokers().size();
            if (registered < rf) {
                // as Kafka: the offsets topic gets its full replication factor or waits for the brokers to give it
                return unavailable("waiting for " + rf + " brokers to register before creating " + OFFSETS_TOPIC
                        + " (" + registered + " so far)");
            }
            createOffsetsTopic(md, rf);
            return unavailable("the offsets topic is being created");
        }
        List<PartitionInfo> partitions = topic.get().partitions();
        int p = partitionFor(groupId, partitions.size());
        int leader = partitions.get(p).leader();
        if (leader < 0) {
            return unavailable(OFFSETS_TOPIC + "-" + p + " has no leader right now");
        }
        for (BrokerInfo b : md.brokers()) {
            if (b.nodeId() == leader) {
                if (leader == md.localNodeId()) {
                    lookup(groupId); // start loading now rather than on the group's first request
                }
                return new GroupCoordinator.Coordinator(Errors.NONE, null, leader, b.host(), b.port());
            }
        }
        return unavailable("the leader of " + OFFSETS_TOPIC + "-" + p + " (node " + leader + ") is not registered");
    }

    private static GroupCoordinator.Coordinator unavailable(String message) {
        return new GroupCoordinator.Coordinator(Errors.COORDINATOR_NOT_AVAILABLE, message, -1, "", -1);
    }

    /** offsets.topic.replication.factor, capped by the number of nodes the cluster is configured with. */
    private int offsetsReplicationFactor(ClusterMetadata md) {
        return Math.max(1, Math.min(settings.offsetsTopicReplication(), md.configuredNodes()));
    }

    private void createOffsetsTopic(ClusterMetadata md, int rf) {
        if (!creatingTopic.compareAndSet(false, true)) {
            return;
        }
        // never removed by time or size: the coordinator compacts the topic itself (see CoordinatorShard)
        Map<String, String> configs = Map.of("retention.ms", "-1", "retention.bytes", "-1", "segment.bytes", "104857600");
        try {
            md.createTopic(OFFSETS_TOPIC, settings.offsetsTopicPartitions(), rf, configs).whenComplete((t, failure) -> {
                creatingTopic.set(false);
                if (failure == null) {
                    LOG.info("created {} with {} partitions, replication factor {}", OFFSETS_TOPIC,
                            settings.offsetsTopicPartitions(), rf);
                } else if (!(KafkaErrors.unwrap(failure) instanceof ConsensusException ce
                        && ce.reason() == ConsensusException.Reason.TOPIC_EXISTS)) {
                    LOG.warn("creating {} failed (will retry on the next FindCoordinator): {}", OFFSETS_TOPIC, failure.toString());
                }
            });
        } catch (RuntimeException e) {
            creatingTopic.set(false);
            LOG.warn("creating {} failed: {}", OFFSETS_TOPIC, e.toString());
        }
    }

    /** The loaded shard of {@code groupId}'s partition; NOT_COORDINATOR elsewhere, LOAD_IN_PROGRESS while it loads. */
    Lookup lookup(String groupId) {
        if (groupId == null || groupId.isEmpty()) {
            return new Lookup(null, Errors.INVALID_GROUP_ID);
        }
        ClusterMetadata md = metadata.get();
        PartitionLogs pl = logs.get();
        if (md == null || pl == null || closed) {
            return new Lookup(null, Errors.COORDINATOR_NOT_AVAILABLE);
        }
        Optional<TopicInfo> topic = md.topic(OFFSETS_TOPIC);
        if (topic.isEmpty()) {
            return new Lookup(null, Errors.NOT_COORDINATOR);
        }
        int p = partitionFor(groupId, topic.get().partitions().size());
        Optional<PartitionLog> log = pl.log(OFFSETS_TOPIC, p);
        if (log.isEmpty() || !log.get().isLeader()) {
            return new Lookup(null, Errors.NOT_COORDINATOR);
        }
        CoordinatorShard shard = shards.get(p);
        if (shard != null && shard.log == log.get() && shard.current()) {
            return new Lookup(shard, Errors.NONE);
        }
        startLoad(p, log.get());
        return new Lookup(null, Errors.COORDINATOR_LOAD_IN_PROGRESS);
    }

    private void startLoad(int p, PartitionLog log) {
        int epoch = log.leaderEpoch();
        CoordinatorShard shard;
        synchronized (loadLock) {
            if (closed) {
                return;
            }
            CoordinatorShard l = loading.get(p);
            if (l != null && l.log == log && l.epoch == epoch) {
                return;
            }
            CoordinatorShard active = shards.get(p);
            if (active != null && active.log == log && active.current()) {
                return;
            }
            if (active != null) {
                unload(active);
            }
            shard = new CoordinatorShard(p, log, epoch, rewriteThreshold);
            loading.put(p, shard);
        }
        shard.load(loader).whenComplete((v, failure) -> {
            synchronized (loadLock) {
                loading.remove(p, shard);
                if (failure != null || !shard.current() || closed) {
                    shard.close();
                    if (failure != null) {
                        LOG.warn("loading {}-{} failed (will retry): {}", OFFSETS_TOPIC, p,
                                KafkaErrors.unwrap(failure).toString());
                    }
                    return;
                }
                listener.loaded(shard);
                shards.put(p, shard);
            }
        });
    }

    /** Unloads the shards this node no longer leads and loads those it has come to lead. */
    void sweep() {
        ClusterMetadata md = metadata.get();
        PartitionLogs pl = logs.get();
        for (CoordinatorShard s : shards.values()) {
            if (!s.current() || pl == null || pl.log(OFFSETS_TOPIC, s.partition).orElse(null) != s.log) {
                LOG.info("no longer coordinating {}-{} (leader epoch {})", OFFSETS_TOPIC, s.partition, s.epoch);
                unload(s);
            }
        }
        if (md == null || pl == null) {
            return;
        }
        Optional<TopicInfo> topic = md.topic(OFFSETS_TOPIC);
        if (topic.isEmpty()) {
            return;
        }
        for (int p = 0; p < topic.get().partitions().size(); p++) {
            Optional<PartitionLog> log = pl.log(OFFSETS_TOPIC, p);
            if (log.isPresent() && log.get().isLeader()) {
                CoordinatorShard s = shards.get(p);
                if (s == null || s.log != log.get() || !s.current()) {
                    startLoad(p, log.get());
                }
            }
        }
    }

    private void unload(CoordinatorShard shard) {
        shard.close();
        shards.remove(shard.partition, shard);
        listener.unloaded(shard);
    }

    /**
     * Whether every offsets partition with a replica here is either led elsewhere or loaded here, so that a listing
     * of the loaded groups is complete: a partition without a leader yet (just after a start) or led here but not
     * loaded yet makes it incomplete (and starts its load).
     */
    boolean allLocalGroupsLoaded() {
        ClusterMetadata md = metadata.get();
        PartitionLogs pl = logs.get();
        if (md == null || pl == null) {
            return false;
        }
        Optional<TopicInfo> topic = md.topic(OFFSETS_TOPIC);
        if (topic.isEmpty()) {
            return true;
        }
        boolean complete = true;
        for (PartitionInfo info : topic.get().partitions()) {
            Optional<PartitionLog> log = pl.log(OFFSETS_TOPIC, info.partition());
            if (log.isEmpty()) {
                continue;
            }
            if (log.get().isLeader()) {
                CoordinatorShard s = shards.get(info.partition());
                if (s == null || s.log != log.get() || !s.current()) {
                    startLoad(info.partition(), log.get());
                    complete = false;
                }
            } else if (info.leader() < 0 || info.leader() == md.localNodeId()) {
                complete = false; // no leader elected yet: it may well be this node
            }
        }
        return complete;
    }

    /** Drops every shard (their groups' waiting members are answered) and stops loading. */
    void close() {
        synchronized (loadLock) {
            closed = true;
            for (CoordinatorShard s : shards.values()) {
                unload(s);
            }
            for (CoordinatorShard s : loading.values()) {
                s.close();
            }
        }
        loader.shutdownNow();
    }
}
