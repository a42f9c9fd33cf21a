package io.chronik.raft.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;

/**
 * A data group on this node: its Raft division (looked up in the server), its partitions, its append batcher.
 *
 * <p>The partitions of a group are also listed in its {@link GroupPartitionsFile} (rewritten when the metadata entry
 * that placed or removed one is applied), so that on start the group's state machine can open its partition logs
 * before the metadata group has replayed anything.
 */
final class DataGroup {
    private static final Logger LOG = LoggerFactory.getLogger(DataGroup.class);
    private static final AtomicLong CALL_IDS = new AtomicLong();

    private final LocalServer server;
    private final LocalReplicas localReplicas;
    private final Supplier<MetadataState> metadata;
    private final MetadataProgress metadataApplied;
    private final RaftGroupId groupId;
    private volatile int groupNo;
    private final Map<String, PartitionReplica> replicas = new ConcurrentHashMap<>();
    private final GroupAppender appender;
    /** A partition joined since the partitions file was last written ({@link #membersChanged}). */
    private volatile boolean membersChanged;
    private final ClientId readClientId = ClientId.randomId();
    private final ReadIndexRounds readRounds;
    private final GroupPartitionsFile partitionsFile;
    private volatile DataStateMachine machine;

    /**
     * @param localReplicas opens the partitions listed in the group's partitions file
     * @param metadata      the metadata as applied on this node
     * @param metadataApplied how far this node has applied the metadata
     * @param groupNo       the group's number, or -1 if not known yet (then read from its partitions file)
     */
    DataGroup(LocalServer server, LocalReplicas localReplicas, Supplier<MetadataState> metadata,
            MetadataProgress metadataApplied, RaftGroupId groupId, int groupNo) {
        this.metadataApplied = metadataApplied;
        this.server = server;
        this.localReplicas = localReplicas;
        this.metadata = metadata;
        this.groupId = groupId;
        this.groupNo = groupNo;
        this.appender = new GroupAppender(this, server);
        this.readRounds = new ReadIndexRounds(this::readIndexRound, server.readIndexMetrics());
        this.partitionsFile = new GroupPartitionsFile(server.settings().groupsDir(), groupId);
    }

    RaftGroupId groupId() {
        return groupId;
    }

    int groupNo() {
        return groupNo;
    }

    /** Sets the group's number if it is not known yet (the number is a function of the group id: never changes). */
    void knowNumber(int no) {
        if (groupNo < 0) {
            groupNo = no;
        }
    }

    DataStateMachine machine() {
        return machine;
    }

    void machine(DataStateMachine m) {
        machine = m;
    }

    GroupAppender appender() {
        return appender;
    }

    Collection<PartitionReplica> replicas() {
        return replicas.values();
    }

    PartitionReplica replica(String topic, int partition) {
        return replicas.get(PartitionReplica.key(topic, partition));
    }

    void add(PartitionReplica r) {
        replicas.put(r.key(), r);
    }

    void remove(PartitionReplica r) {
        replicas.remove(r.key(), r);
    }

    /** The division, or null while it is not (yet) on the server. */
    RaftServer.Division division() {
        RaftServer s = server.serverOrNull();
        if (s == null) {
            return null;
        }
        try {
            return s.getDivision(groupId);
        } catch (IOException e) {
            return null;
        }
    }

    boolean isLeader() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader();
    }

    /**
     * Whether this node leads the group and has applied an entry of its own term, so that everything committed
     * under earlier leaders is applied here too.
     */
    boolean isLeaderReady() {
        RaftServer.Division d = division();
        return d != null && d.getInfo().isLeader() && d.getInfo().isLeaderReady();
    }

    int term() {
        RaftServer.Division d = division();
        return d == null ? 0 : (int) d.getInfo().getCurrentTerm();
    }

    int leaderNodeId() {
        RaftServer.Division d = division();
        if (d == null) {
            return -1;
        }
        DivisionInfo info = d.getInfo();
        return info.isLeader() ? server.settings().nodeId() : Ids.nodeId(info.getLeaderId());
    }

    /**
     * The replicas in sync, as seen by this node: on the leader, itself and the followers that answered within the
     * maximum election timeout and whose log reaches {@code minMatchIndex} (the leader's commit index a lag limit
     * ago: Kafka's {@code replica.lag.time.max.ms} rule); elsewhere (no follower information) all {@code replicas}.
     */
    List<Integer> inSyncReplicas(List<Integer> replicas, long minMatchIndex) {
        RaftServer.Division d = division();
        if (d == null || !d.getInfo().isLeader()) {
            return replicas;
        }
        long limit = server.settings().electionTimeoutMaxMs();
        List<Integer> isr = new ArrayList<>();
        isr.add(server.settings().nodeId());
        var followers = d.getInfo().getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
        // both from the leader's log appenders, in the same order (unless the membership changed in between)
        long[] match = d.getInfo().getFollowerMatchIndices();
        for (int i = 0; i < followers.size(); i++) {
            var f = followers.get(i);
            boolean caughtUp = match.length != followers.size() || match[i] >= minMatchIndex;
            if (f.getLastRpcElapsedTimeMs() <= limit && caughtUp) {
                isr.add(Ids.nodeId(org.apache.ratis.protocol.RaftPeerId.valueOf(f.getId().getId())));
            }
        }
        List<Integer> ordered = new ArrayList<>();
        for (Integer r : replicas) {
            if (isr.contains(r)) {
                ordered.add(r);
            }
        }
        return ordered;
    }

    /** The commit index of this node's division, or -1 while it is not on the server. */
    long commitIndex() {
        RaftServer.Division d = division();
        return d == null ? -1 : d.getRaftLog().getLastCommittedIndex();
    }

    long lastAppliedIndex() {
        RaftServer.Division d = division();
        return d == null ? -1 : d.getInfo().getLastAppliedIndex();
    }

    /**
     * Submits a request to the local division. Ratis' server-level entry point hands each request to the division's
     * client thread pool and blocks the caller until that thread has appended it; the division itself implements
     * the same asynchronous client protocol, so calling it directly spares every request a thread hand-off (and
     * the caller, a Kafka I/O thread, the wait).
     */
    CompletableFuture<RaftClientReply> submit(RaftClientRequest request) throws IOException {
        RaftServer.Division d = division();
        if (d instanceof RaftClientAsynchronousProtocol direct) {
            return direct.submitClientRequestAsync(request);
        }
        return server.server().submitClientRequestAsync(request);
    }

    /**
     * A ReadIndex barrier (a linearizable read of this group): completes once this replica has applied everything
     * committed when it was asked for. Concurrent barriers share rounds ({@link ReadIndexRounds}).
     */
    CompletableFuture<Void> readIndex() {
        return readRounds.await();
    }

    /** The batching of this group's ReadIndex barriers (and its counters). */
    ReadIndexRounds readRounds() {
        return readRounds;
    }

    /**
     * One ReadIndex round through the local server. A round that fails without a Raft answer (a follower could not
     * reach the leader: after a peer was down, gRPC fails calls at once while it waits to reconnect, for up to a few
     * seconds) is tried again every {@value #READ_INDEX_RETRY_MS} ms for up to {@value #READ_INDEX_RETRY_WINDOW_MS} ms
     * (at most the request timeout); a Raft answer (not the leader, no leader yet) ends it at once.
     */
    private CompletableFuture<Void> readIndexRound() {
        long windowMs = Math.min(READ_INDEX_RETRY_WINDOW_MS, server.settings().requestTimeoutMs());
        return RetryUntil.retry(this::readIndexAttempt, DataGroup::noRaftAnswer, server.scheduler(), READ_INDEX_RETRY_MS,
                System.nanoTime() + windowMs * 1_000_000L, System::nanoTime);
    }

    /** A failure that is not a Raft server's answer (those are Ratis' RaftExceptions, or mapped to ours). */
    private static boolean noRaftAnswer(Throwable e) {
        return !(e instanceof ConsensusException) && !(e instanceof org.apache.ratis.protocol.exceptions.RaftException);
    }

    private static final long READ_INDEX_RETRY_MS = 100;
    private static final long READ_INDEX_RETRY_WINDOW_MS = 5_000;

    private CompletableFuture<Void> readIndexAttempt() {
        try {
            RaftClientRequest request = RaftClientRequest.newBuilder()
                    .setClientId(readClientId)
                    .setServerId(server.peerId())
                    .setGroupId(groupId)
                    .setCallId(CALL_IDS.incrementAndGet())
                    .setMessage(Message.EMPTY)
                    .setType(RaftClientRequest.readRequestType())
                    .build();
            return submit(request).thenApply(reply -> {
                if (!reply.isSuccess()) {
                    throw new java.util.concurrent.CompletionException(appender.toConsensusException(reply.getException()));
                }
                return (Void) null;
            });
        } catch (Exception e) {
            return CompletableFuture.failedFuture(appender.toConsensusException(e));
        }
    }

    /**
     * The replica an entry's operation applies to. While this node's metadata lags behind the data group (a
     * follower), waits for the metadata entry that placed the partition here; for a move's copy operations
     * ({@code moveId} >= 0), for the entry that started the move.
     *
     * @param moveId the id of the move a copy operation belongs to, or -1
     * @return null if the operation's topic was deleted, the partition has moved to another group, or the move the
     *         copy belongs to is no longer in progress (then the operation is skipped)
     */
    PartitionReplica replicaForApply(UUID topicId, String topic, int partition, long moveId) throws ConsensusException {
        long timeoutMs = server.settings().requestTimeoutMs();
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        if (moveId >= 0 && replica(topic, partition) == null) {
            awaitMetadata(moveId, timeoutMs);
        }
        while (true) {
            PartitionReplica r = replica(topic, partition);
            if (r != null && r.topicId().equals(topicId)) {
                return r;
            }
            MetadataState state = metadata.get();
            if (state.deletedTopics.contains(topicId)) {
                return null;
            }
            PartitionMoves.Pending move = state.moves.pending(topic, partition);
            boolean movingHere = move != null && Ids.dataGroup(move.targetGroup()).equals(groupId)
                    && move.topicId().equals(topicId);
            if (moveId >= 0 && metadataApplied.applied(moveId) && (!movingHere || move.id() != moveId)) {
                return null; // the move was cancelled or replaced
            }
            MetadataState.Topic t = state.topics.get(topic);
            if (moveId < 0 && !movingHere && t != null && t.id().equals(topicId) && partition < t.groups().size()
                    && !Ids.dataGroup(t.groups().get(partition)).equals(groupId)) {
                return null; // an entry from before the partition moved to another group
            }
            if (System.nanoTime() > deadline || server.isStopping()) {
                throw new ConsensusException(Reason.UNKNOWN_TOPIC, "partition " + topic + "-" + partition + " (topic id "
                        + topicId + ") is not placed in data group " + groupNo + " on this node");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConsensusException(Reason.NOT_AVAILABLE, "interrupted");
            }
        }
    }

    private void awaitMetadata(long index, long timeoutMs) throws ConsensusException {
        try {
            metadataApplied.await(index).get(timeoutMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsensusException(Reason.NOT_AVAILABLE, "interrupted");
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new ConsensusException(Reason.NOT_AVAILABLE, "metadata entry " + index + " not applied within "
                    + timeoutMs + " ms on this node");
        }
    }

    /** Opens the replicas listed in the group's partitions file (state machine initialisation). */
    void openReplicas() throws IOException {
        GroupPartitionsFile.Contents contents = partitionsFile.read();
        if (contents == null) {
            return;
        }
        contents.groupNo().ifPresent(no -> groupNo = no);
        for (GroupPartitionsFile.Member m : contents.members()) {
            if (m.staging()) {
                localReplicas.openStaging(m.topicId(), m.topic(), m.partition(), this, null, -1);
            } else {
                localReplicas.open(m.topicId(), m.topic(), m.partition(), this, null);
            }
        }
    }

    /**
     * Replaces this node's replica of a partition of the group with its copy in a snapshot ({@code files}: the
     * partition's directory in the snapshot), with the topic's configs if this node's metadata knows them.
     */
    PartitionReplica restore(SnapshotManifest.Partition p, java.nio.file.Path files) throws IOException {
        MetadataState.Topic t = metadata.get().topics.get(p.topic());
        Map<String, String> configs = t != null && t.id().equals(p.topicId()) ? t.configs() : null;
        return localReplicas.restore(this, p, files, configs);
    }

    /**
     * A partition of the group (directory {@code dir}) dropped its segments below {@code logStart}: its local
     * snapshots drop them too ({@link DataSnapshotStorage#pruneBelow}).
     */
    void pruneSnapshots(java.nio.file.Path dir, long logStart) {
        DataStateMachine m = machine;
        if (m != null) {
            m.snapshots().pruneBelow(dir.getFileName().toString(), logStart, dir);
        }
    }

    /**
     * Notes that a partition joined the group without its partitions file being rewritten yet: the metadata
     * reconciliation opens the partitions an entry places here and then rewrites the file once
     * ({@link #persistMembersIfChanged}), instead of once per partition. A partition missing from the file after a
     * crash in between is opened when the metadata is replayed, as on a node that never had the file.
     */
    void membersChanged() {
        membersChanged = true;
    }

    /** Rewrites the partitions file if {@link #membersChanged} was called since it was last written. */
    void persistMembersIfChanged() {
        if (membersChanged) {
            persistMembers();
        }
    }

    /** Rewrites the group's partitions file atomically from the current members; a failure is logged. */
    synchronized void persistMembers() {
        membersChanged = false;
        List<GroupPartitionsFile.Member> members = new ArrayList<>();
        for (PartitionReplica r : new ArrayList<>(replicas.values())) {
            members.add(new GroupPartitionsFile.Member(r.topicId(), r.topic(), r.partition(), r.isStaging()));
        }
        try {
            partitionsFile.write(groupNo, members);
        } catch (IOException e) {
            LOG.error("writing {} failed", partitionsFile.path(), e);
        }
    }

    /** Deletes the group's partitions file (the group was retired). */
    void deletePartitionsFile() {
        try {
            java.nio.file.Files.deleteIfExists(partitionsFile.path());
        } catch (IOException e) {
            LOG.warn("deleting {} failed", partitionsFile.path(), e);
        }
    }

    /** The division closed (server stop or group removal): fail what is still waiting. */
    void closed() {
        appender.failAll(new ConsensusException(Reason.NOT_AVAILABLE, "data group " + groupNo + " closed"));
    }
}
