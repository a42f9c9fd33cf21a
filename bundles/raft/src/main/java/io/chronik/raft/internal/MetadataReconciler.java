package io.chronik.raft.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.net.HostPort;
import io.chronik.log.LogConfig;

/**
 * Brings this node in line with the applied metadata: opens the replicas the metadata places here, reconfigures
 * them, deletes those of deleted topics, and adds the divisions of new data groups to the server. Also tells the
 * metadata listeners of every change, and records in the metadata the data groups this node comes to lead.
 *
 * <p>Called on the metadata group's apply thread (and on Ratis' threads for leader changes); adding a division
 * runs on the node's group thread, never on the apply thread, and listeners are called on the node's notifier
 * thread.
 */
final class MetadataReconciler implements MetadataStateMachine.Listener, DataStateMachine.LeaderListener {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataReconciler.class);

    private final LocalServer server;
    private final LocalReplicas replicas;
    /** Data groups whose division this node started for the first time in this run (see {@link #addDivision}). */
    private final java.util.Set<org.apache.ratis.protocol.RaftGroupId> freshStarts =
            java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final DataGroups groups;
    private final ClusterMetadataImpl metadata;
    private final MetadataWriter writer;
    /** Adds divisions to the server, in metadata order, off the apply thread. */
    private final ExecutorService groupOps;
    /** Calls metadata listeners, in order, off Ratis' threads. */
    private final ExecutorService notifier;
    /** Completes once the server is started (divisions are added only then). */
    private final CompletableFuture<RaftServer> started;
    private final ClientId adminClientId = ClientId.randomId();
    private final AtomicLong adminCallIds = new AtomicLong();
    /** Retired groups whose division is being removed. */
    private final java.util.Set<org.apache.ratis.protocol.RaftGroupId> removing = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Groups whose closed division is being restarted ({@link #restartDeadDivisions}). */
    private final java.util.Set<org.apache.ratis.protocol.RaftGroupId> reviving = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The metadata as last loaded or applied. */
    private volatile MetadataState latest;

    MetadataReconciler(LocalServer server, LocalReplicas replicas, DataGroups groups, ClusterMetadataImpl metadata,
            MetadataWriter writer, ExecutorService groupOps, ExecutorService notifier,
            CompletableFuture<RaftServer> started) {
        this.server = server;
        this.replicas = replicas;
        this.groups = groups;
        this.metadata = metadata;
        this.writer = writer;
        this.groupOps = groupOps;
        this.notifier = notifier;
        this.started = started;
    }

    @Override
    public void loaded(MetadataState state, long index) {
        latest = state;
        reconcile(null, state, index);
    }

    @Override
    public void applied(MetadataState before, MetadataState after, MetaCommand command, long index) {
        latest = after;
        reconcile(before, after, index);
        notifier.execute(metadata::fireChanged);
    }

    @Override
    public void leaderChanged(RaftPeerId leader) {
        leadershipChanged();
    }

    /** A data group's leader changed: a new local leader records itself in the metadata (best effort). */
    @Override
    public void leaderChanged(DataGroup group, RaftPeerId newLeader) {
        leadershipChanged();
        if (server.isStopping() || !server.peerId().equals(newLeader) || group.groupNo() < 0) {
            return;
        }
        try {
            server.scheduler().execute(() -> writer.reportLeader(group));
        } catch (RuntimeException e) {
            LOG.debug("node stopping: leader of data group {} not recorded", group.groupNo());
        }
    }

    private void leadershipChanged() {
        if (!server.isStopping()) {
            try {
                notifier.execute(metadata::fireChanged);
            } catch (RuntimeException e) {
                LOG.debug("listener notification skipped: {}", e.toString());
            }
        }
    }

    /**
     * Brings the local replicas and divisions in line with the metadata as of entry {@code index}: create,
     * reconfigure, delete, and the replicas of partition moves (open the target replica, promote it when the move is
     * done, delete the source replica, delete the target replica of a cancelled move).
     */
    private void reconcile(MetadataState before, MetadataState after, long index) {
        if (before != null) {
            for (MetadataState.Topic t : before.topics.values()) {
                MetadataState.Topic now = after.topics.get(t.name());
                if (now == null || !now.id().equals(t.id())) {
                    for (int p = 0; p < t.groups().size(); p++) {
                        PartitionReplica r = replicas.replica(t.name(), p);
                        if (r != null && r.topicId().equals(t.id())) {
                            replicas.delete(r);
                        }
                    }
                }
            }
        }
        boolean everyTopic = placementMayHaveChanged(before, after);
        for (MetadataState.Topic t : after.topics.values()) {
            MetadataState.Topic old = before == null ? null : before.topics.get(t.name());
            if (old == t && !everyTopic) {
                continue;
            }
            boolean configChanged = old == null || !old.id().equals(t.id()) || !old.configs().equals(t.configs());
            for (int p = 0; p < t.groups().size(); p++) {
                reconcilePartition(after, t, p, configChanged, index);
            }
        }
        for (DataGroup dg : groups.all()) {
            dg.persistMembersIfChanged();
        }
        for (PartitionReplica s : replicas.allStaging()) {
            PartitionMoves.Pending move = after.moves.pending(s.topic(), s.partition());
            if (s.moveId() > index) {
                continue; // replaying metadata from before the move that opened it
            }
            if (move == null || !s.group().groupId().equals(Ids.dataGroup(move.targetGroup()))
                    || !move.topicId().equals(s.topicId())) {
                LOG.info("the move of {} to data group {} was cancelled or replaced", s.key(), s.group().groupNo());
                replicas.delete(s);
            }
        }
        for (DataGroup dg : groups.all()) {
            int no = dg.groupNo();
            if (no >= 0 && no < after.nextGroupNo && !after.groups.containsKey(no) && dg.replicas().isEmpty()) {
                removeDivision(dg);
            }
        }
    }

    /**
     * Whether an entry may have changed where partitions other than those of the topics it replaced are placed (or
     * moving): a data group's replicas, a move, a deleted topic. Otherwise (topic creation, config changes, leader,
     * ISR and broker entries) only the replaced topics need reconciling, and reconciling costs per entry what the
     * entry changed, not the number of partitions in the cluster. A full pass also retries what failed before (a log
     * that could not be opened).
     */
    private static boolean placementMayHaveChanged(MetadataState before, MetadataState after) {
        return before == null || !before.groups.equals(after.groups) || before.nextGroupNo != after.nextGroupNo
                || !before.moves.equals(after.moves) || !before.moves.pending().isEmpty()
                || !before.deletedTopics.equals(after.deletedTopics);
    }

    /** Removes the division of a retired data group from the server (off the apply thread) and forgets the group. */
    private void removeDivision(DataGroup dg) {
        if (!removing.add(dg.groupId())) {
            return;
        }
        try {
            groupOps.execute(() -> {
                try {
                    RaftServer s = started.get(server.settings().requestTimeoutMs(), TimeUnit.MILLISECONDS);
                    if (dg.division() != null) {
                        RaftClientReply reply = s.groupManagementAsync(GroupManagementRequest.newRemove(adminClientId,
                                server.peerId(), adminCallIds.incrementAndGet(), dg.groupId(), true, false))
                                .get(server.settings().requestTimeoutMs(), TimeUnit.MILLISECONDS);
                        if (!reply.isSuccess()) {
                            LOG.warn("removing retired data group {} failed", dg.groupNo(), reply.getException());
                            return;
                        }
                    }
                    groups.remove(dg);
                    dg.deletePartitionsFile();
                    LOG.info("data group {} retired: its division is removed", dg.groupNo());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    if (!server.isStopping()) {
                        LOG.warn("removing retired data group {} failed", dg.groupNo(), e);
                    }
                } finally {
                    removing.remove(dg.groupId());
                }
            });
        } catch (RuntimeException e) {
            removing.remove(dg.groupId());
        }
    }

    private void reconcilePartition(MetadataState after, MetadataState.Topic t, int p, boolean configChanged,
            long index) {
        int self = server.settings().nodeId();
        int groupNo = t.groups().get(p);
        MetadataState.Group g = after.groups.get(groupNo);
        boolean placedHere = g != null && g.replicas().contains(self);
        PartitionReplica r = replicas.replica(t.name(), p);
        if (r != null && r.movedInAt() > index) {
            return; // replaying metadata from before this replica moved in: it is ahead of what is replayed
        }
        if (r != null && r.topicId().equals(t.id()) && !r.group().groupId().equals(Ids.dataGroup(groupNo))) {
            PartitionReplica moved = replicas.staging(t.name(), p);
            if (placedHere && isFilledFor(moved, t, groupNo)) {
                replicas.promote(moved, index); // and deletes r
            } else {
                LOG.info("{} moved to data group {}: deleting its replica in data group {}", r.key(), groupNo,
                        r.group().groupNo());
                replicas.delete(r);
            }
            r = replicas.replica(t.name(), p);
        }
        if (placedHere) {
            if (r != null && !r.topicId().equals(t.id())) {
                if (!after.deletedTopics.contains(r.topicId())) {
                    return; // our metadata is behind the data group's: it will catch up
                }
                replicas.delete(r);
                r = null;
            }
            DataGroup dg = groups.getOrCreate(Ids.dataGroup(groupNo), groupNo);
            PartitionReplica moved = replicas.staging(t.name(), p);
            if (r == null && isFilledFor(moved, t, groupNo)) {
                replicas.promote(moved, index);
            } else if (r == null) {
                try {
                    replicas.open(t.id(), t.name(), p, dg, t.configs());
                } catch (IOException e) {
                    LOG.error("opening the log of {}-{} failed", t.name(), p, e);
                    return;
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
        PartitionMoves.Pending move = after.moves.pending(t.name(), p);
        MetadataState.Group target = move == null ? null : after.groups.get(move.targetGroup());
        if (target != null && move.topicId().equals(t.id()) && target.replicas().contains(self)) {
            DataGroup dg = groups.getOrCreate(Ids.dataGroup(move.targetGroup()), move.targetGroup());
            try {
                replicas.openStaging(t.id(), t.name(), p, dg, t.configs(), move.id());
            } catch (IOException e) {
                LOG.error("opening the replica of {}-{} to move it to data group {} failed", t.name(), p,
                        move.targetGroup(), e);
                return;
            }
            if (dg.division() == null) {
                addDivision(dg, target, after);
            }
        }
    }

    /** Whether {@code staging} is the replica a move filled for topic {@code t} in group {@code groupNo}. */
    private static boolean isFilledFor(PartitionReplica staging, MetadataState.Topic t, int groupNo) {
        return staging != null && staging.group().groupId().equals(Ids.dataGroup(groupNo))
                && staging.topicId().equals(t.id());
    }

    private void addDivision(DataGroup dg, MetadataState.Group g, MetadataState state) {
        NodeSettings settings = server.settings();
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
                    if (server.isStopping() || dg.division() != null) {
                        return;
                    }
                    // A division this node starts for the first time: a directory of it is what a failed start left
                    // behind, which the next start must not find (Ratis formats a new division's directory). A
                    // directory found otherwise is left alone.
                    java.nio.file.Path storage = settings.raftDir().resolve(dg.groupId().getUuid().toString());
                    boolean fresh = !java.nio.file.Files.exists(storage) || freshStarts.contains(dg.groupId());
                    boolean prefetched = false;
                    if (fresh) {
                        freshStarts.add(dg.groupId());
                        DataSnapshotStorage.deleteRecursively(storage);
                        prefetched = prefetchSnapshot(g.no()); // start from the object store if it has the group
                    }
                    // Ratis 3.2 fails a division's start when a request of the leader arrives while it initialises (an
                    // install request makes it a follower before its start does: IllegalStateException "previous !=
                    // null"); a division starting from a fetched snapshot loses that race often. Try again after a
                    // pause of random length, from the second attempt on without the fetched snapshot (the leader then
                    // sends its own, as to any replica behind its log).
                    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
                    for (int attempt = 1; ; attempt++) {
                        if (attempt > 1 && fresh) {
                            DataSnapshotStorage.deleteRecursively(storage);
                            if (prefetched) {
                                LOG.warn("data group {}: starting without the snapshot fetched from the object store",
                                        g.no());
                                DataSnapshotStorage.deleteRecursively(DataStateMachine.prefetchDir(settings, g.no()));
                                prefetched = false;
                            }
                        }
                        Throwable failure;
                        try {
                            // a division with storage (one restarted from it) is recovered, a fresh one formatted
                            RaftClientReply reply = s.groupManagementAsync(GroupManagementRequest.newAdd(adminClientId,
                                    server.peerId(), adminCallIds.incrementAndGet(), group, fresh))
                                    .get(settings.requestTimeoutMs(), TimeUnit.MILLISECONDS);
                            failure = reply.isSuccess() ? null : reply.getException();
                        } catch (java.util.concurrent.ExecutionException e) {
                            failure = e.getCause();
                        }
                        if (failure == null || alreadyExists(failure)) {
                            LOG.info("data group {} ({}) added with replicas {}", g.no(), dg.groupId(), g.replicas());
                            freshStarts.remove(dg.groupId());
                            break;
                        }
                        if (attempt >= 10 || server.isStopping()) {
                            LOG.error("adding data group {} failed", g.no(), failure);
                            break;
                        }
                        LOG.warn("adding data group {} failed (attempt {}), trying again: {}", g.no(), attempt,
                                failure.toString());
                        Thread.sleep(random.nextLong(50, 500));
                    }
                    if (prefetched) {
                        DataSnapshotStorage.deleteRecursively(DataStateMachine.prefetchDir(settings, g.no()));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Exception e) {
                    if (!server.isStopping() && !alreadyExists(e)) {
                        LOG.error("adding data group {} failed", g.no(), e);
                    }
                }
            });
        } catch (RuntimeException e) {
            LOG.debug("node stopping, data group {} not added", g.no());
        }
    }

    /**
     * Restarts, from its storage, every data division of this node that Ratis closed while the node runs. A division
     * that fails is closed but stays registered with the server, so every later request for it fails and the replica
     * stays out of the ISR until the node restarts; the chaos suite's random resets of Raft connections made Ratis
     * 3.2.1 fail a follower's division with {@code IllegalStateException: gap between entries} in
     * {@code LogSegment.append}. The restart removes the division (keeping its storage) and adds it again, as a node
     * restart would: it reloads its snapshot and log and catches up from the leader. Called on the node's scheduler;
     * the removal and the new start run on the group-operations thread, one restart per group at a time.
     */
    void restartDeadDivisions() {
        try {
            restartDead();
        } catch (RuntimeException e) {
            LOG.warn("checking for closed data divisions failed", e); // and again at the next tick
        }
    }

    private void restartDead() {
        MetadataState state = latest;
        if (state == null || server.isStopping()) {
            return;
        }
        for (DataGroup dg : groups.all()) {
            RaftServer.Division d = dg.division();
            org.apache.ratis.util.LifeCycle.State lc = d == null ? null : d.getInfo().getLifeCycleState();
            boolean dead = lc == org.apache.ratis.util.LifeCycle.State.EXCEPTION || (lc != null && lc.isClosingOrClosed());
            if (!dead || removing.contains(dg.groupId())) {
                continue;
            }
            MetadataState.Group g = state.groups.get(dg.groupNo());
            if (g == null || !g.replicas().contains(server.settings().nodeId()) || !reviving.add(dg.groupId())) {
                continue; // retired or moved away: its removal is the reconciler's business
            }
            LOG.warn("data group {}: its Raft division was closed ({}) while the node runs; restarting it from its storage",
                    dg.groupNo(), lc);
            try {
                groupOps.execute(() -> {
                    try {
                        RaftServer s = server.server();
                        long timeout = server.settings().requestTimeoutMs();
                        RaftClientReply removed = s.groupManagementAsync(GroupManagementRequest.newRemove(adminClientId,
                                server.peerId(), adminCallIds.incrementAndGet(), dg.groupId(), false, false))
                                .get(timeout, TimeUnit.MILLISECONDS);
                        if (!removed.isSuccess()) {
                            throw new IOException("removing the closed division failed", removed.getException());
                        }
                        addDivision(dg, g, state);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (Exception e) {
                        if (!server.isStopping()) {
                            LOG.error("data group {}: restarting its closed division failed", dg.groupNo(), e);
                        }
                    } finally {
                        reviving.remove(dg.groupId());
                    }
                });
            } catch (RuntimeException e) {
                reviving.remove(dg.groupId()); // node stopping
            }
        }
    }

    /**
     * Fetches the newest archived snapshot of a group this node is about to start a division of into the group's
     * {@link DataStateMachine#prefetchDir}, where the division's state machine finds it; nothing if the archive has
     * none. Blocking (the group-operations thread).
     *
     * @return whether a snapshot was fetched (its directory is deleted once the division has started)
     */
    private boolean prefetchSnapshot(int groupNo) {
        java.nio.file.Path dir = DataStateMachine.prefetchDir(server.settings(), groupNo);
        long started = System.nanoTime();
        try {
            DataSnapshotStorage.deleteRecursively(dir);
            java.nio.file.Files.createDirectories(dir);
            java.nio.file.Path fetched = server.snapshotArchiver().fetchLatest(groupNo, dir);
            if (fetched == null) {
                DataSnapshotStorage.deleteRecursively(dir);
                return false;
            }
            DataSnapshotStorage.DataSnapshot s = DataSnapshotStorage.open(fetched);
            placePartitions(groupNo, s);
            server.snapshotMetrics().installed(SnapshotMetrics.dataGroup(groupNo), s.index(), s.manifest().bytes(),
                    System.nanoTime() - started);
            LOG.info("data group {}: fetched snapshot {} ({} partition(s), {} bytes) from the object store in {} ms",
                    groupNo, s.termIndex(), s.manifest().partitions().size(), s.manifest().bytes(),
                    (System.nanoTime() - started) / 1_000_000);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("data group {}: no snapshot from the object store ({}); the leader will send one if needed", groupNo,
                    e.toString());
            try {
                DataSnapshotStorage.deleteRecursively(dir);
            } catch (IOException ignored) {
                // left for the next attempt, which empties the directory first
            }
            return false;
        }
    }

    /**
     * Puts the partitions of a fetched snapshot in place before the group's division starts, as a restart finds them:
     * each partition's files linked into its directory (opened once, so that its indexes are built now) and the group's
     * partitions file naming them. The division's start then only opens them: a division that initialises for long loses
     * Ratis 3.2's race with the leader's first requests. Nothing is done if this node already has one of the
     * partitions (the state machine restores it at start instead).
     */
    private void placePartitions(int groupNo, DataSnapshotStorage.DataSnapshot s) throws IOException {
        NodeSettings settings = server.settings();
        List<GroupPartitionsFile.Member> members = new ArrayList<>();
        for (SnapshotManifest.Partition p : s.manifest().partitions()) {
            if (replicas.replica(p.topic(), p.partition()) != null || replicas.staging(p.topic(), p.partition()) != null) {
                return;
            }
        }
        for (SnapshotManifest.Partition p : s.manifest().partitions()) {
            java.nio.file.Path live = settings.logsDir().resolve(p.dirName());
            DataSnapshotStorage.deleteRecursively(live);
            java.nio.file.Files.createDirectories(live);
            for (io.chronik.log.LinkedFile f : p.files()) {
                DataSnapshotStorage.linkOrCopy(s.partitionDir(p).resolve(f.name()), live.resolve(f.name()));
            }
            io.chronik.log.SegmentLog.open(live, io.chronik.log.LogConfig.defaultConfig()).close();
            members.add(new GroupPartitionsFile.Member(p.topicId(), p.topic(), p.partition(), p.staging()));
        }
        new GroupPartitionsFile(settings.groupsDir(), Ids.dataGroup(groupNo)).write(groupNo, members);
    }

    private static boolean alreadyExists(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof AlreadyExistsException) {
                return true;
            }
        }
        return false;
    }
}
