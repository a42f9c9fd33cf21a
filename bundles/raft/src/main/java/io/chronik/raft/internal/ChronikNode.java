package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.net.HostPort;
import io.chronik.log.LogConfig;
import io.chronik.log.SegmentLog;
import io.chronik.ratis.rpc.RaftTransport;
import io.chronik.ratis.rpc.RatisContext;
import io.chronik.ratis.rpc.TransportRpcType;

/**
 * One Chronik node's consensus: a Ratis server carrying the metadata group and this node's data groups, the
 * partition replicas, and the {@link ClusterMetadataImpl} / {@link PartitionLogs} views. Plain Java (no OSGi), so
 * that tests run it directly; {@link RaftComponent} runs it in OSGi.
 */
final class ChronikNode implements MetadataStateMachine.Listener, PartitionLogs {
    private static final Logger LOG = LoggerFactory.getLogger(ChronikNode.class);

    private final NodeSettings settings;
    private final RaftTransport transport;
    private final long origin = new SecureRandom().nextLong();
    private final RaftPeerId peerId;
    private final MetadataStateMachine metadataMachine = new MetadataStateMachine(this);
    private final Map<RaftGroupId, DataGroup> groups = new ConcurrentHashMap<>();
    private final Map<String, PartitionReplica> replicas = new ConcurrentHashMap<>();
    private final ScheduledExecutorService scheduler;
    /** Adds divisions to the server, in metadata order, off the apply thread. */
    private final ExecutorService groupOps;
    /** Calls metadata listeners, in order, off Ratis' threads. */
    private final ExecutorService notifier;
    private final ClusterMetadataImpl metadata = new ClusterMetadataImpl(this);
    private final CompletableFuture<Void> ready = new CompletableFuture<>();
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong adminCallIds = new AtomicLong();
    private volatile RaftServer server;
    /** Completes once the server is started (divisions are added only then). */
    private final CompletableFuture<RaftServer> started = new CompletableFuture<>();
    private volatile RaftClient metadataClient;
    private volatile boolean stopping;
    /** Tests set this to false to simulate a crash: no snapshot (checkpoint) when the server stops. */
    volatile boolean snapshotOnStop = true;

    ChronikNode(NodeSettings settings, RaftTransport transport) {
        this.settings = Objects.requireNonNull(settings);
        this.transport = Objects.requireNonNull(transport);
        this.peerId = Ids.peerId(settings.nodeId());
        String name = "chronik-raft-" + settings.nodeId();
        this.scheduler = Executors.newScheduledThreadPool(1, threads(name + "-scheduler"));
        this.groupOps = Executors.newSingleThreadExecutor(threads(name + "-groups"));
        this.notifier = Executors.newSingleThreadExecutor(threads(name + "-notify"));
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    // ---- accessors ----

    NodeSettings settings() {
        return settings;
    }

    long origin() {
        return origin;
    }

    RaftPeerId peerId() {
        return peerId;
    }

    RaftServer server() throws IOException {
        RaftServer s = server;
        if (s == null) {
            throw new IOException("the Raft server of node " + settings.nodeId() + " is not running");
        }
        return s;
    }

    RaftServer serverOrNull() {
        return server;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    boolean isStopping() {
        return stopping;
    }

    ClusterMetadataImpl metadata() {
        return metadata;
    }

    MetadataState metadataState() {
        return metadataMachine.state();
    }

    /** Completes when the metadata group has a leader, this node is registered and its metadata is loaded. */
    CompletableFuture<Void> ready() {
        return ready;
    }

    DataGroup dataGroup(int groupNo) {
        return groups.get(Ids.dataGroup(groupNo));
    }

    int metadataLeader() {
        RaftServer s = server;
        if (s == null) {
            return -1;
        }
        try {
            RaftServer.Division d = s.getDivision(Ids.METADATA_GROUP);
            return d.getInfo().isLeader() ? settings.nodeId() : Ids.nodeId(d.getInfo().getLeaderId());
        } catch (IOException e) {
            return -1;
        }
    }

    /** The last index applied by the given data group on this node (tests, metrics). */
    long lastAppliedIndex(int groupNo) {
        DataGroup g = dataGroup(groupNo);
        return g == null ? -1 : g.lastAppliedIndex();
    }

    @Override
    public java.util.Optional<PartitionLog> log(String topic, int partition) {
        PartitionReplica r = replicas.get(PartitionReplica.key(topic, partition));
        return r == null || r.isClosed() ? java.util.Optional.empty() : java.util.Optional.of(r);
    }

    /**
     * Queues every append in its group's appender before any group sends, so that the partitions of one produce
     * request that share a data group travel in one Raft entry (one log write, one apply) instead of one each.
     */
    @Override
    public List<CompletionStage<PartitionLog.AppendResult>> appendAll(List<PartitionLog> logs, List<ByteBuffer> batches) {
        if (logs.size() != batches.size()) {
            throw new IllegalArgumentException(logs.size() + " logs but " + batches.size() + " batches");
        }
        List<CompletionStage<PartitionLog.AppendResult>> results = new ArrayList<>(logs.size());
        Map<GroupAppender, List<Integer>> byGroup = new LinkedHashMap<>();
        for (int i = 0; i < logs.size(); i++) {
            results.add(null);
            if (logs.get(i) instanceof PartitionReplica r) {
                byGroup.computeIfAbsent(r.group().appender(), a -> new ArrayList<>()).add(i);
            } else {
                try {
                    results.set(i, logs.get(i).append(batches.get(i)));
                } catch (RuntimeException e) {
                    results.set(i, CompletableFuture.failedFuture(e));
                }
            }
        }
        byGroup.forEach((appender, indexes) -> appender.enqueueTogether(() -> {
            for (int i : indexes) {
                results.set(i, ((PartitionReplica) logs.get(i)).enqueueAppend(batches.get(i)));
            }
        }));
        return results;
    }

    PartitionReplica replica(String topic, int partition) {
        return replicas.get(PartitionReplica.key(topic, partition));
    }

    // ---- lifecycle ----

    void start() throws Exception {
        Files.createDirectories(settings.raftDir());
        Files.createDirectories(settings.logsDir());
        Files.createDirectories(settings.groupsDir());
        RaftProperties properties = RatisSetup.properties(settings, snapshotOnStop);
        Parameters parameters = new Parameters();
        RpcFactory factory = transport.newFactory(parameters, Map.of(RaftTransport.ADDRESS, settings.raftAddr().toString()));
        TransportRpcType.install(properties, parameters, factory);
        RaftGroup metadataGroup = RaftGroup.valueOf(Ids.METADATA_GROUP, peers(settings.peers()));
        StateMachine.Registry registry = this::stateMachine;
        server = RatisContext.call(() -> {
            RaftServer s = RaftServer.newBuilder()
                    .setServerId(peerId)
                    .setGroup(metadataGroup)
                    .setStateMachineRegistry(registry)
                    .setProperties(properties)
                    .setParameters(parameters)
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            s.start();
            return s;
        });
        started.complete(server);
        metadataClient = RatisContext.call(() -> RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(metadataGroup)
                .setProperties(properties)
                .setParameters(parameters)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) Math.max(10, settings.requestTimeoutMs() / 100), TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build());
        scheduler.scheduleWithFixedDelay(this::retention, settings.retentionCheckIntervalMs(),
                settings.retentionCheckIntervalMs(), TimeUnit.MILLISECONDS);
        LOG.info("node {} started its Raft server on {} ({} flush policy, metadata peers {})", settings.nodeId(),
                settings.raftAddr(), settings.flushPolicy().name().toLowerCase(), settings.peers());
        register(0);
    }

    private StateMachine stateMachine(RaftGroupId groupId) {
        if (groupId.equals(Ids.METADATA_GROUP)) {
            return metadataMachine;
        }
        DataGroup group = groups.computeIfAbsent(groupId, gid -> new DataGroup(this, gid, -1));
        return new DataStateMachine(group);
    }

    private List<RaftPeer> peers(Map<Integer, HostPort> members) {
        List<RaftPeer> peers = new ArrayList<>();
        members.forEach((id, addr) -> peers.add(RaftPeer.newBuilder().setId(Ids.peerId(id)).setAddress(addr.toString()).build()));
        return peers;
    }

    /** Registers this broker in the metadata (retried until it succeeds); then the node is ready. */
    private void register(int attempt) {
        if (stopping) {
            return;
        }
        if (metadataLeader() == -1 && attempt < 1000) {
            // no metadata leader yet (election after start): do not make the client fail against a follower
            scheduler.schedule(() -> register(attempt + 1), 50, TimeUnit.MILLISECONDS);
            return;
        }
        MetaCommand cmd = new MetaCommand.RegisterBroker(settings.nodeId(), settings.advertisedAddr().host(),
                settings.advertisedAddr().port(), settings.rack(), settings.raftAddr().host(), settings.raftAddr().port(),
                Ids.kafkaUuid(UUID.randomUUID()));
        submitMetadata(cmd, true).whenComplete((r, e) -> {
            if (e == null) {
                LOG.info("node {} registered; cluster {}, metadata leader {}", settings.nodeId(), metadataState().clusterId,
                        metadataLeader());
                ready.complete(null);
            } else if (!stopping) {
                (attempt % 10 == 9 ? LOG.atWarn() : LOG.atDebug()).log("registering node {} failed (attempt {}): {}",
                        settings.nodeId(), attempt + 1, e.toString());
                scheduler.schedule(() -> register(attempt + 1), 200, TimeUnit.MILLISECONDS);
            }
        });
    }

    void stop() {
        stopping = true;
        started.completeExceptionally(new IOException("node stopped"));
        ready.completeExceptionally(new ConsensusException(Reason.NOT_AVAILABLE, "node stopped"));
        scheduler.shutdownNow();
        RaftClient c = metadataClient;
        metadataClient = null;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing the metadata client failed", e);
            }
        }
        RaftServer s = server;
        if (s != null) {
            try {
                s.close(); // takes a snapshot (checkpoint) of every group first: raft.server.snapshot.trigger-when-stop
            } catch (Exception e) {
                LOG.warn("closing the Raft server failed", e);
            }
        }
        server = null;
        groupOps.shutdownNow();
        notifier.shutdown();
        for (PartitionReplica r : replicas.values()) {
            r.close();
        }
        for (DataGroup g : groups.values()) {
            g.closed();
        }
        LOG.info("node {} stopped", settings.nodeId());
    }

    // ---- metadata writes ----

    /**
     * Submits a metadata command through the metadata group (forwarded to its leader by Ratis) and completes with
     * its result once it is applied on this node, and, if {@code awaitGroups}, once the data groups it placed on
     * this node are added to the server.
     */
    CompletableFuture<MetaCommand.Result> submitMetadata(MetaCommand command, boolean awaitGroups) {
        RaftClient client = metadataClient;
        if (client == null) {
            return CompletableFuture.failedFuture(new ConsensusException(Reason.NOT_AVAILABLE, "node is not running"));
        }
        CompletableFuture<RaftClientReply> sent;
        try {
            sent = client.async().send(Message.valueOf(ByteString.copyFrom(command.encode())));
        } catch (Exception e) {
            sent = CompletableFuture.failedFuture(e);
        }
        CompletableFuture<MetaCommand.Result> result = sent
                .orTimeout(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS)
                .thenCompose(reply -> {
                    if (!reply.isSuccess()) {
                        throw new CompletionException(toConsensusException(reply.getException()));
                    }
                    MetaCommand.Result r;
                    try {
                        r = MetaCommand.Result.decode(new java.io.DataInputStream(reply.getMessage().getContent().newInput()));
                    } catch (IOException e) {
                        throw new CompletionException(e);
                    }
                    return metadataMachine.awaitApplied(reply.getLogIndex()).thenApply(v -> r);
                });
        if (awaitGroups) {
            result = result.thenCompose(r -> CompletableFuture.supplyAsync(() -> r, groupOps));
        }
        return result.handle((r, e) -> {
            if (e != null) {
                throw new CompletionException(toConsensusException(e));
            }
            if (r.error() != null) {
                throw new CompletionException(new ConsensusException(r.error(), r.message()));
            }
            return r;
        });
    }

    private ConsensusException toConsensusException(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ConsensusException c) {
            return c;
        }
        if (t instanceof TimeoutException) {
            return new ConsensusException(Reason.TIMEOUT, "metadata change not committed within "
                    + settings.requestTimeoutMs() + " ms", -1, t);
        }
        if (t instanceof NotLeaderException nle) {
            return new ConsensusException(Reason.NOT_AVAILABLE, "no metadata leader", nle.getSuggestedLeader() == null
                    ? -1 : Ids.nodeId(nle.getSuggestedLeader().getId()), t);
        }
        return new ConsensusException(Reason.NOT_AVAILABLE, String.valueOf(t), -1, t);
    }

    /**
     * Completes when every data group of {@code topic} hosted on this node knows its leader, or after twice the
     * maximum election timeout (a new topic is then usable at once instead of answering NOT_LEADER first).
     */
    CompletableFuture<Void> awaitLeaders(String topic) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long deadline = System.currentTimeMillis() + 2 * settings.electionTimeoutMaxMs();
        Runnable[] check = new Runnable[1];
        check[0] = () -> {
            MetadataState.Topic t = metadataState().topics.get(topic);
            boolean ready = true;
            if (t != null) {
                for (int p = 0; p < t.groups().size(); p++) {
                    DataGroup g = dataGroup(t.groups().get(p));
                    if (g != null && replica(topic, p) != null && g.leaderNodeId() < 0) {
                        ready = false;
                        break;
                    }
                }
            }
            if (ready || stopping || System.currentTimeMillis() > deadline) {
                done.complete(null);
            } else {
                try {
                    scheduler.schedule(check[0], 10, TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    done.complete(null);
                }
            }
        };
        check[0].run();
        return done;
    }

    // ---- metadata effects (metadata apply thread) ----

    @Override
    public void loaded(MetadataState state) {
        reconcile(null, state);
    }

    @Override
    public void applied(MetadataState before, MetadataState after, MetaCommand command, long index) {
        reconcile(before, after);
        notifier.execute(metadata::fireChanged);
    }

    @Override
    public void leaderChanged(RaftPeerId leader) {
        leadershipChanged();
    }

    /** A data group's leader changed: a new local leader records itself in the metadata (best effort). */
    void dataLeaderChanged(DataGroup group, RaftPeerId newLeader) {
        leadershipChanged();
        if (stopping || !peerId.equals(newLeader) || group.groupNo() < 0) {
            return;
        }
        try {
            scheduler.execute(() -> reportLeader(group));
        } catch (RuntimeException e) {
            LOG.debug("node stopping: leader of data group {} not recorded", group.groupNo());
        }
    }

    private void reportLeader(DataGroup group) {
        {
            RaftServer.Division d = group.division();
            if (d == null || !d.getInfo().isLeader()) {
                return;
            }
            submitMetadata(new MetaCommand.GroupLeader(group.groupNo(), settings.nodeId(), d.getInfo().getCurrentTerm()), false)
                    .whenComplete((r, e) -> {
                        if (e != null) {
                            LOG.debug("recording the leader of data group {} failed: {}", group.groupNo(), e.toString());
                        }
                    });
        }
    }

    void leadershipChanged() {
        if (!stopping) {
            try {
                notifier.execute(metadata::fireChanged);
            } catch (RuntimeException e) {
                LOG.debug("listener notification skipped: {}", e.toString());
            }
        }
    }

    /** Brings the local replicas and divisions in line with the metadata: create, reconfigure, delete. */
    private void reconcile(MetadataState before, MetadataState after) {
        int self = settings.nodeId();
        if (before != null) {
            for (MetadataState.Topic t : before.topics.values()) {
                MetadataState.Topic now = after.topics.get(t.name());
                if (now == null || !now.id().equals(t.id())) {
                    for (int p = 0; p < t.groups().size(); p++) {
                        PartitionReplica r = replica(t.name(), p);
                        if (r != null && r.topicId().equals(t.id())) {
                            removeReplica(r);
                        }
                    }
                }
            }
        }
        for (MetadataState.Topic t : after.topics.values()) {
            MetadataState.Topic old = before == null ? null : before.topics.get(t.name());
            boolean configChanged = old == null || !old.id().equals(t.id()) || !old.configs().equals(t.configs());
            for (int p = 0; p < t.groups().size(); p++) {
                int groupNo = t.groups().get(p);
                MetadataState.Group g = after.groups.get(groupNo);
                if (g == null || !g.replicas().contains(self)) {
                    continue;
                }
                PartitionReplica r = replica(t.name(), p);
                if (r != null && !r.topicId().equals(t.id())) {
                    if (!after.deletedTopics.contains(r.topicId())) {
                        continue; // our metadata is behind the data group's: it will catch up
                    }
                    removeReplica(r);
                    r = null;
                }
                DataGroup dg = groups.computeIfAbsent(Ids.dataGroup(groupNo), gid -> new DataGroup(this, gid, groupNo));
                if (r == null) {
                    try {
                        openReplica(t.id(), t.name(), p, dg, t.configs());
                    } catch (IOException e) {
                        LOG.error("opening the log of {}-{} failed", t.name(), p, e);
                        continue;
                    }
                } else if (configChanged) {
                    try {
                        r.updateConfig(LogConfig.of(t.configs()));
                    } catch (ConsensusException | RuntimeException e) {
                        LOG.error("invalid config of topic {}: {}", t.name(), e.toString());
                    }
                }
                if (dg.division() == null) {
                    addDivision(dg, g, after);
                }
            }
        }
    }

    /** Opens (or returns) the replica of a partition. {@code configs} null = opened from a group's partitions file. */
    PartitionReplica openReplica(UUID topicId, String topic, int partition, DataGroup group, Map<String, String> configs)
            throws IOException {
        String key = PartitionReplica.key(topic, partition);
        synchronized (replicas) {
            PartitionReplica r = replicas.get(key);
            if (r != null) {
                if (r.topicId().equals(topicId) && r.group() == group && group.replica(topic, partition) == null) {
                    group.add(r);
                }
                return r;
            }
            Path dir = settings.logsDir().resolve(key);
            LogConfig config;
            try {
                config = configs == null ? LogConfig.defaultConfig() : LogConfig.of(configs);
            } catch (ConsensusException e) {
                throw new IOException("invalid config of " + key + ": " + e.getMessage(), e);
            }
            SegmentLog log = SegmentLog.open(dir, config);
            r = new PartitionReplica(topic, partition, topicId, group, log, dir);
            replicas.put(key, r);
            group.add(r);
            if (configs != null) {
                group.persistMembers();
            }
            LOG.info("opened {} in data group {} (log end {}, checkpoint at index {})", key, group.groupNo(),
                    log.logEndOffset(), r.checkpointIndex);
            return r;
        }
    }

    private void removeReplica(PartitionReplica r) {
        synchronized (replicas) {
            replicas.remove(r.key(), r);
            r.group().remove(r);
            r.group().persistMembers();
        }
        r.delete();
        LOG.info("deleted the replica of {} (topic id {})", r.key(), r.topicId());
    }

    private void addDivision(DataGroup dg, MetadataState.Group g, MetadataState state) {
        List<RaftPeer> peers = new ArrayList<>();
        for (Integer id : g.replicas()) {
            MetadataState.Broker b = state.brokers.get(id);
            HostPort addr = b != null ? new HostPort(b.raftHost(), b.raftPort()) : settings.peers().get(id);
            if (addr == null) {
                LOG.error("no Raft address known for node {} (data group {})", id, g.no());
                return;
            }
            peers.add(RaftPeer.newBuilder().setId(Ids.peerId(id)).setAddress(addr.toString()).build());
        }
        RaftGroup group = RaftGroup.valueOf(dg.groupId(), peers);
        try {
            groupOps.execute(() -> {
                try {
                    RaftServer s = started.get(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
                    if (stopping || dg.division() != null) {
                        return;
                    }
                    RaftClientReply reply = s.groupManagementAsync(GroupManagementRequest.newAdd(adminClientId, peerId,
                            adminCallIds.incrementAndGet(), group)).get(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
                    if (!reply.isSuccess() && !alreadyExists(reply.getException())) {
                        LOG.error("adding data group {} failed", g.no(), reply.getException());
                    } else {
                        LOG.info("data group {} ({}) added with replicas {}", g.no(), dg.groupId(), g.replicas());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    if (!stopping && !alreadyExists(e)) {
                        LOG.error("adding data group {} failed", g.no(), e);
                    }
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("node stopping, data group {} not added", g.no());
        }
    }

    private static boolean alreadyExists(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof AlreadyExistsException) {
                return true;
            }
        }
        return false;
    }

    // ---- retention ----

    private void retention() {
        long now = System.currentTimeMillis();
        for (PartitionReplica r : replicas.values()) {
            try {
                r.applyRetention(now);
            } catch (RuntimeException e) {
                LOG.warn("retention of {} failed", r.key(), e);
            }
        }
    }

    /** Runs the retention check now (tests). */
    void runRetention() {
        retention();
    }
}
