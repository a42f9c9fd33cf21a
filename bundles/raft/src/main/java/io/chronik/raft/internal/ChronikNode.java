package io.chronik.raft.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyClosedException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.net.HostPort;
import io.chronik.ratis.rpc.RaftTransport;
import io.chronik.ratis.rpc.RatisContext;
import io.chronik.ratis.rpc.TransportObserver;
import io.chronik.ratis.rpc.TransportRpcType;

/**
 * One Chronik node's consensus: the lifecycle of its Ratis server (carrying the metadata group and this node's data
 * groups), of the metadata group client and of the node's threads, and the wiring of the parts that do the work:
 * {@link LocalReplicas} (the {@link PartitionLogs}), {@link DataGroups}, {@link MetadataWriter},
 * {@link MetadataReconciler}, {@link Liveness}, {@link MetadataMembership}, {@link Decommissioner} and
 * {@link ClusterMetadataImpl}. Plain Java (no OSGi), so that tests run it directly;
 * {@link RaftComponent} runs it in OSGi.
 *
 * <p>{@link #start} blocks until the server runs; {@link #stop} blocks until it is closed (each group is
 * checkpointed first).
 */
final class ChronikNode implements LocalServer {
    private static final Logger LOG = LoggerFactory.getLogger(ChronikNode.class);

    private final NodeSettings settings;
    private final RaftTransport transport;
    private final long origin = new SecureRandom().nextLong();
    private final RaftPeerId peerId;
    private final ScheduledExecutorService scheduler;
    /** Adds divisions to the server, in metadata order, off the apply thread. */
    private final ExecutorService groupOps;
    /** Calls metadata listeners, in order, off Ratis' threads. */
    private final ExecutorService notifier;
    private final LocalReplicas replicas;
    private final ReadIndexMetrics readIndexMetrics;
    private final SnapshotMetrics snapshotMetrics;
    private final RaftMetrics raftMetrics;
    private final DataGroups groups;
    private final MetadataStateMachine metadataMachine = new MetadataStateMachine();
    private final MetadataWriter writer;
    private final ClusterMetadataImpl metadata;
    private final MetadataReconciler reconciler;
    private final PreferredLeaders preferredLeaders;
    private final LeaderBalancer leaderBalancer;
    private final Liveness liveness;
    private final MetadataMembership membership;
    private final PartitionMover mover;
    /** Runs the steps of decommissions ({@link Decommissioner}), which block on metadata writes. */
    private final ScheduledExecutorService decommissions;
    private final Decommissioner decommissioner;
    private volatile RaftServer server;
    /** The Ratis properties and parameters (carrying the transport) the server was built with; for group clients. */
    private volatile RaftProperties properties;
    private volatile Parameters parameters;
    /** The metadata group as this node's metadata clients address it (set at start). */
    private volatile RaftGroup metadataClientGroup;
    /** Completes once the server is started (divisions are added only then). */
    private final CompletableFuture<RaftServer> started = new CompletableFuture<>();
    private volatile RaftClient metadataClient;
    private volatile boolean stopping;
    /** Where data groups' snapshots are archived; set before {@link #start} (the OSGi component, tests). */
    private volatile SnapshotArchiver snapshotArchiver = SnapshotArchiver.NONE;
    private volatile SnapshotSettings snapshotSettings = SnapshotSettings.DEFAULT;
    /** Where the transport reports its traffic; the node's own unless {@link RaftComponent} gives its longer-lived one. */
    private volatile TransportMetrics transportMetrics;
    /**
     * System property that turns {@link DeadLeaderTakeover} off when {@code false} (on by default): failover then
     * waits for Ratis' election timeout.
     */
    static final String DEAD_LEADER_TAKEOVER = "chronik.raft.dead.leader.takeover";
    /** Starts elections at once where a leader's process is gone (its connections closed, its port refuses). */
    private final DeadLeaderTakeover deadLeaderTakeover;
    /** Tests set this to false to simulate a crash: no snapshot (checkpoint) when the server stops. */
    volatile boolean snapshotOnStop = true;

    ChronikNode(NodeSettings settings, RaftTransport transport) {
        RatisSetup.neverExitTheJvm();
        this.settings = Objects.requireNonNull(settings);
        this.transport = Objects.requireNonNull(transport);
        this.peerId = Ids.peerId(settings.nodeId());
        String name = "chronik-raft-" + settings.nodeId();
        this.scheduler = Executors.newScheduledThreadPool(1, threads(name + "-scheduler"));
        this.groupOps = Executors.newSingleThreadExecutor(threads(name + "-groups"));
        this.notifier = Executors.newSingleThreadExecutor(threads(name + "-notify"));
        this.replicas = new LocalReplicas(settings);
        this.readIndexMetrics = new ReadIndexMetrics(settings.nodeId());
        this.snapshotMetrics = new SnapshotMetrics(settings.nodeId());
        this.transportMetrics = new TransportMetrics(settings.nodeId());
        this.deadLeaderTakeover = new DeadLeaderTakeover(this, new PeerProbe(() -> properties, () -> parameters));
        metadataMachine.setSnapshotMetrics(snapshotMetrics);
        this.groups = new DataGroups(this, replicas, metadataMachine::state, metadataMachine::awaitApplied);
        this.raftMetrics = new RaftMetrics(settings.nodeId(), () -> server, this::groupLabel);
        metadataMachine.setRaftMetrics(raftMetrics);
        this.writer = new MetadataWriter(this, metadataMachine, () -> metadataClient, groupOps, groups, replicas);
        this.preferredLeaders = new PreferredLeaders(this, metadataMachine::state, groups, this::groupClient);
        this.leaderBalancer = new LeaderBalancer(this, metadataMachine::state, preferredLeaders);
        this.metadata = new ClusterMetadataImpl(this, metadataMachine::state, groups, writer, preferredLeaders);
        this.reconciler = new MetadataReconciler(this, replicas, groups, metadata, writer, groupOps, notifier, started);
        metadataMachine.setListener(reconciler);
        this.liveness = new Liveness(this, metadataMachine, () -> metadataClient, writer, groups);
        metadataMachine.setQueryHandler(liveness::query);
        metadataMachine.onSnapshotTaken((at, file) -> snapshotArchiver.metadataSnapshotTaken(at, file));
        this.membership = new MetadataMembership(this, () -> metadataClient);
        this.mover = new PartitionMover(this, metadataMachine::state, replicas, writer, this::groupClient);
        this.decommissions = Executors.newScheduledThreadPool(1, threads(name + "-decommission"));
        this.decommissioner = new Decommissioner(metadataMachine::state, metadata::reassignments,
                metadata::reassignPartition, cmd -> writer.submit(cmd, false), membership, decommissions, 1000,
                settings.requestTimeoutMs());
    }

    private static ThreadFactory threads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    @Override
    public SnapshotArchiver snapshotArchiver() {
        return snapshotArchiver;
    }

    void snapshotArchiver(SnapshotArchiver archiver) {
        this.snapshotArchiver = Objects.requireNonNull(archiver);
    }

    /** Snapshot settings beyond the log threshold (periodic snapshots, archiving); set before {@link #start}. */
    void snapshotSettings(SnapshotSettings s) {
        this.snapshotSettings = Objects.requireNonNull(s);
    }

    /**
     * The metrics the transport reports its traffic to ({@link TransportObserver}); set before {@link #start} to keep
     * counting in one object over restarts of the node (a transport swap restarts it).
     */
    void transportMetrics(TransportMetrics metrics) {
        this.transportMetrics = Objects.requireNonNull(metrics);
    }

    /** The node's transport traffic counters. */
    TransportMetrics transportMetrics() {
        return transportMetrics;
    }

    /**
     * Archives this node's snapshots through the archive {@code archive} supplies (null while none is bound) when
     * {@link SnapshotSettings#enabled}: the node archives the groups it leads ({@link ObjectSnapshotArchiver}), and
     * fetches a group's snapshot from there when it has none of the group's data. Call before {@link #start}.
     *
     * @return the archiver, or null if archiving is disabled
     */
    ObjectSnapshotArchiver archiveSnapshots(java.util.function.Supplier<io.chronik.api.archive.Archive> archive)
            throws IOException {
        if (!snapshotSettings.enabled()) {
            return null;
        }
        ObjectSnapshotArchiver a = new ObjectSnapshotArchiver(settings.nodeId(), archive,
                () -> metadataMachine.state().clusterId, this::leads,
                settings.dataDir().resolve("snapshot-archive"), snapshotSettings);
        snapshotArchiver(a);
        return a;
    }

    /**
     * Whether this node archives group {@code groupNo}'s snapshots: it leads the data group (or the metadata group, for a
     * negative number) and is not stopping.
     */
    private boolean leads(int groupNo) {
        if (stopping) {
            return false; // the checkpoint at stop is not archived: the archive may be going away with the framework
        }
        if (groupNo < 0) {
            return metadataLeader() == settings.nodeId();
        }
        DataGroup g = groups.get(groupNo);
        return g != null && g.isLeader();
    }

    /**
     * The periodic snapshot: every group of this node (and the metadata group) that applied entries since its latest
     * snapshot takes one ({@code snapshot.time.threshold.secs}); Ratis takes it on the group's updater.
     */
    private void periodicSnapshots() {
        RaftServer s = server;
        if (s == null || stopping) {
            return;
        }
        try {
            for (RaftGroupId id : s.getGroupIds()) {
                RaftServer.Division d = s.getDivision(id);
                var latest = d.getStateMachine().getLatestSnapshot();
                long applied = d.getInfo().getLastAppliedIndex();
                if (applied > (latest == null ? -1 : latest.getIndex())) {
                    s.snapshotManagementAsync(org.apache.ratis.protocol.SnapshotManagementRequest.newCreate(
                            ClientId.randomId(), peerId, id, 0, settings.requestTimeoutMs(), 1))
                            .whenComplete((reply, e) -> {
                                if (e != null || !reply.isSuccess()) {
                                    LOG.debug("periodic snapshot of {} failed: {}", id,
                                            e != null ? e.toString() : reply.getException());
                                }
                            });
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("periodic snapshots failed", e);
        }
    }

    @Override
    public NodeSettings settings() {
        return settings;
    }

    @Override
    public long origin() {
        return origin;
    }

    @Override
    public RaftPeerId peerId() {
        return peerId;
    }

    @Override
    public RaftServer serverOrNull() {
        return server;
    }

    /** The node's ReadIndex counters: the {@link io.chronik.api.metrics.MetricSource} service of the node. */
    @Override
    public ReadIndexMetrics readIndexMetrics() {
        return readIndexMetrics;
    }

    @Override
    public SnapshotMetrics snapshotMetrics() {
        return snapshotMetrics;
    }

    /** The node's Raft counters and gauges: a {@link io.chronik.api.metrics.MetricSource} service of the node. */
    @Override
    public RaftMetrics raftMetrics() {
        return raftMetrics;
    }

    /** The {@code group} label of a group's metrics: {@code metadata} or the data group's number; null if unknown. */
    private String groupLabel(RaftGroupId id) {
        if (id.equals(Ids.METADATA_GROUP)) {
            return RaftMetrics.METADATA;
        }
        DataGroup g = groups.find(id);
        return g == null || g.groupNo() < 0 ? null : Integer.toString(g.groupNo());
    }

    @Override
    public ScheduledExecutorService scheduler() {
        return scheduler;
    }

    @Override
    public boolean isStopping() {
        return stopping;
    }

    @Override
    public boolean inSession() {
        return liveness.inSession(System.nanoTime());
    }

    ClusterMetadataImpl metadata() {
        return metadata;
    }

    /** The partition logs hosted here: the {@link PartitionLogs} service. */
    LocalReplicas replicas() {
        return replicas;
    }

    DataGroups groups() {
        return groups;
    }

    MetadataState metadataState() {
        return metadataMachine.state();
    }

    /** Completes when the metadata group has a leader, this node is registered and its metadata is loaded. */
    CompletableFuture<Void> ready() {
        return writer.registered();
    }

    void start() throws Exception {
        Files.createDirectories(settings.raftDir());
        Files.createDirectories(settings.logsDir());
        Files.createDirectories(settings.groupsDir());
        RaftProperties properties = RatisSetup.properties(settings, snapshotOnStop);
        Parameters parameters = new Parameters();
        TransportObserver observer = transportMetrics.observer(transport.name());
        parameters.put(TransportObserver.KEY, !"false".equals(System.getProperty(DEAD_LEADER_TAKEOVER))
                ? deadLeaderTakeover.observing(transport.name(), observer) : observer, TransportObserver.class);
        RpcFactory factory = StartingDivisionGuard.wrap(
                transport.newFactory(parameters, Map.of(RaftTransport.ADDRESS, settings.raftAddr().toString())),
                new ReceivedRaftRequests(raftMetrics));
        TransportRpcType.install(properties, parameters, factory);
        RaftGroup metadataGroup = RaftGroup.valueOf(Ids.METADATA_GROUP, peers(settings.peers()));
        this.properties = properties;
        this.parameters = parameters;
        RaftGroup clientGroup = metadataGroup;
        boolean joining = false;
        if (settings.peers().size() > 1 && !MetadataMembership.hasMetadataStorage(settings)) {
            Optional<RaftGroup> running = RatisContext.call(
                    () -> MetadataMembership.probe(settings, properties, parameters));
            if (running.isPresent() && !MetadataMembership.isVoter(running.get(), settings.nodeId())) {
                joining = true;
                metadataGroup = MetadataMembership.joiningGroup(running.get(), settings);
                clientGroup = running.get();
                LOG.info("node {} joins the running metadata group {} as a listener", settings.nodeId(),
                        clientGroup.getPeers());
            }
        }
        RaftGroup serverGroup = metadataGroup;
        StateMachine.Registry registry = this::stateMachine;
        server = RatisContext.call(() -> {
            RaftServer s = RaftServer.newBuilder()
                    .setServerId(peerId)
                    .setGroup(serverGroup)
                    .setStateMachineRegistry(registry)
                    .setProperties(properties)
                    .setParameters(parameters)
                    .setOption(RaftStorage.StartupOption.RECOVER)
                    .build();
            try {
                s.start(); // fails if the Raft port is taken (see RatisSetup.neverExitTheJvm)
            } catch (IOException | RuntimeException e) {
                try {
                    s.close(); // releases the storage lock, so that a later start can succeed
                } catch (IOException | RuntimeException c) {
                    e.addSuppressed(c);
                }
                throw e;
            }
            return s;
        });
        started.complete(server);
        metadataClientGroup = clientGroup;
        metadataClient = newMetadataClient();
        scheduler.scheduleWithFixedDelay(replicas::applyRetention, settings.retentionCheckIntervalMs(),
                settings.retentionCheckIntervalMs(), TimeUnit.MILLISECONDS);
        leaderBalancer.start();
        LOG.info("node {} started its Raft server on {} ({} flush policy, metadata peers {})", settings.nodeId(),
                settings.raftAddr(), settings.flushPolicy().name().toLowerCase(), settings.peers());
        if (joining) {
            membership.joinAsListener().thenRun(writer::register);
        } else {
            writer.register();
        }
        liveness.start();
        mover.start();
        scheduler.scheduleWithFixedDelay(membership::restartIfRoleChanged, 500, 500, TimeUnit.MILLISECONDS);
        scheduler.scheduleWithFixedDelay(reconciler::restartDeadDivisions, 2000, 2000, TimeUnit.MILLISECONDS);
        long periodic = snapshotSettings.timeThresholdSecs() * 1000;
        if (periodic > 0) {
            scheduler.scheduleWithFixedDelay(this::periodicSnapshots, periodic, periodic, TimeUnit.MILLISECONDS);
        }
    }

    private RaftClient newMetadataClient() throws Exception {
        RaftGroup group = metadataClientGroup;
        return RatisContext.call(() -> RaftClient.newBuilder()
                .setClientId(ClientId.randomId())
                .setRaftGroup(group)
                .setProperties(properties)
                .setParameters(parameters)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(
                        (int) Math.max(10, settings.requestTimeoutMs() / 100), TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build());
    }

    /**
     * A request of the metadata client {@code broken} failed with {@code failure}. Ratis' ordered asynchronous client
     * closes itself for good when a server's request stream ends without replies (seen when a link dies while a peer
     * is killed): every later request then fails at once with {@link AlreadyClosedException}, so this node could no
     * longer register, heartbeat, report leaders or create topics. Such a client is replaced by a new one (once; the
     * callers' retries use the new one). Other failures change nothing.
     */
    @Override
    public void metadataRequestFailed(RaftClient broken, Throwable failure) {
        if (broken == null || stopping || !causedBy(failure, AlreadyClosedException.class)) {
            return;
        }
        synchronized (this) {
            if (metadataClient != broken || stopping) {
                return;
            }
            try {
                metadataClient = newMetadataClient();
            } catch (Exception e) {
                LOG.warn("replacing the closed metadata client failed; retried at its next failure", e);
                return;
            }
        }
        LOG.warn("the metadata client was closed ({}): replaced by a new one", failure.toString());
        try {
            scheduler.execute(() -> {
                try {
                    broken.close();
                } catch (Exception e) {
                    LOG.debug("closing the old metadata client failed", e);
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("node stopping: the old metadata client is left to the stop");
        }
    }

    private static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Makes {@code nodeId}, a listener of the metadata group, one of its voters (see
     * {@link MetadataMembership#addVoter}); blocks until the change is committed or refused.
     *
     * @throws ConsensusException if it is not a listener or the change failed
     */
    String addMetadataVoter(int nodeId) throws ConsensusException {
        return membership.addVoter(nodeId);
    }

    /** The metadata group's membership changes. */
    MetadataMembership membership() {
        return membership;
    }

    /** Decommissions brokers ({@code decommission} admin command). */
    Decommissioner decommissioner() {
        return decommissioner;
    }

    /**
     * A Raft client of {@code group} on this node's transport, for administrative requests (the caller closes it):
     * tries {@code leader} first (null: any member), waits up to {@code requestTimeoutMs} (plus a margin) for an
     * answer, and retries a few times against the leader a follower names.
     */
    private RaftClient groupClient(RaftGroup group, RaftPeerId leader, long requestTimeoutMs) {
        RaftProperties base = properties;
        Parameters params = parameters;
        if (base == null || params == null) {
            throw new IllegalStateException("node " + settings.nodeId() + " is not started");
        }
        RaftProperties p = new RaftProperties(base);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(requestTimeoutMs + 2000, TimeUnit.MILLISECONDS));
        try {
            return RatisContext.call(() -> RaftClient.newBuilder()
                    .setClientId(ClientId.randomId())
                    .setRaftGroup(group)
                    .setLeaderId(leader)
                    .setProperties(p)
                    .setParameters(params)
                    .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(10,
                            TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                    .build());
        } catch (Exception e) {
            throw new IllegalStateException("creating a Raft client of " + group.getGroupId() + " failed", e);
        }
    }

    private StateMachine stateMachine(RaftGroupId groupId) {
        if (groupId.equals(Ids.METADATA_GROUP)) {
            return metadataMachine;
        }
        return new DataStateMachine(groups.getOrCreate(groupId, -1), this, reconciler);
    }

    private List<RaftPeer> peers(Map<Integer, HostPort> members) {
        List<RaftPeer> peers = new ArrayList<>();
        members.forEach((id, addr) -> peers.add(RaftPeer.newBuilder().setId(Ids.peerId(id)).setAddress(addr.toString()).build()));
        return peers;
    }

    /**
     * Closes the Raft server (which first takes a snapshot of every group: raft.server.snapshot.trigger-when-stop), on
     * its own thread for at most two minutes: gRPC's server shutdown has been seen waiting for ever for its channels to
     * close, which would keep the node (and a test JVM) from ever stopping.
     */
    private void closeBounded(RaftServer s) {
        Thread closer = new Thread(() -> {
            try {
                s.close();
            } catch (Exception e) {
                LOG.warn("closing the Raft server failed", e);
            }
        }, "chronik-raft-" + settings.nodeId() + "-close");
        closer.setDaemon(true);
        closer.start();
        try {
            closer.join(120_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (closer.isAlive()) {
            LOG.warn("node {}: the Raft server did not close within 2 minutes (its transport's shutdown hangs); "
                    + "going on without it", settings.nodeId());
        }
    }

    void stop() {
        stopping = true;
        started.completeExceptionally(new IOException("node stopped"));
        writer.stop();
        scheduler.shutdownNow();
        decommissions.shutdownNow();
        preferredLeaders.close();
        mover.close();
        RaftClient c;
        synchronized (this) { // metadataRequestFailed replaces the client under this monitor
            c = metadataClient;
            metadataClient = null;
        }
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                LOG.debug("closing the metadata client failed", e);
            }
        }
        RaftServer s = server;
        if (s != null) {
            closeBounded(s);
        }
        server = null;
        groupOps.shutdownNow();
        notifier.shutdown();
        replicas.closeAll();
        if (snapshotArchiver instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                LOG.debug("closing the snapshot archiver failed", e);
            }
        }
        for (DataGroup g : groups.all()) {
            g.closed();
        }
        LOG.info("node {} stopped", settings.nodeId());
    }
}
