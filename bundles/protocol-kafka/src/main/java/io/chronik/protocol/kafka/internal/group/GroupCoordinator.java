package io.chronik.protocol.kafka.internal.group;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.utils.ThreadUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.topics.TopicIndex;
import io.chronik.protocol.kafka.internal.group.GroupRecords.Key;

/**
 * The classic group coordinator: Kafka's group membership protocol (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) with
 * its group state machine, and committed offsets.
 *
 * <p><b>Placement and durability.</b> A group belongs to partition {@code abs(hash(groupId)) % n} of the internal
 * topic {@code __consumer_offsets}; the node leading that partition is the group's only coordinator. Group metadata
 * and offset commits are records appended to that partition, so they are replicated by the partition's Raft group
 * (not by the metadata group) and survive the loss of the coordinator: the next leader replays the partition and
 * takes over. {@link CoordinatedPartitions} follows which partitions this node leads and loads them;
 * {@link CoordinatorShard} reads and writes one partition.
 *
 * <p><b>Threads.</b> Requests arrive on Netty event loops and never block; each group is guarded by its own
 * monitor; timers (session and rebalance timeouts) run on one scheduler thread and loads on another.
 */
public final class GroupCoordinator implements AutoCloseable {
    public static final String OFFSETS_TOPIC = CoordinatedPartitions.OFFSETS_TOPIC;
    private static final Logger LOG = LoggerFactory.getLogger(GroupCoordinator.class);
    private static final long SWEEP_MS = 500;
    private static final byte[] EMPTY = new byte[0];

    /** Where a group's coordinator is, for FindCoordinator. */
    public record Coordinator(Errors error, String message, int nodeId, String host, int port) {
    }

    /** A committed offset for OffsetFetch ({@code null} metadata never). */
    public record FetchedOffset(long offset, int leaderEpoch, String metadata) {
    }

    /** The answer to an OffsetFetch of one group: an error, or the committed offsets asked for. */
    public record FetchedOffsets(Errors error, Map<TopicPartition, FetchedOffset> offsets) {
    }

    /** The answer to a ListGroups: the groups, and an error if some could not be listed. */
    public record Listing(Errors error, List<ListedGroup> groups) {
    }

    /** An offset to commit. */
    public record OffsetToCommit(TopicPartition partition, long offset, int leaderEpoch, String metadata) {
    }

    private final GroupSettings settings;
    private final Supplier<ClusterMetadata> metadata;
    private final ScheduledThreadPoolExecutor timers;
    private final CoordinatedPartitions partitions;
    private final OffsetsManager offsets;

    /** @param topicIndex the bundle's topic-id index, which tells which topics were deleted (not closed here) */
    public GroupCoordinator(GroupSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs,
            TopicIndex topicIndex) {
        this(settings, metadata, logs, topicIndex, 10_000);
    }

    /** @param rewriteThreshold superseded records a partition may hold before it is compacted */
    GroupCoordinator(GroupSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs,
            TopicIndex topicIndex, int rewriteThreshold) {
        this.settings = settings;
        this.metadata = metadata;
        this.partitions = new CoordinatedPartitions(settings, metadata, logs, rewriteThreshold,
                new CoordinatedPartitions.Listener() {
                    @Override
                    public void loaded(CoordinatorShard shard, Map<Key, byte[]> records) {
                        buildGroups(shard, records);
                    }

                    @Override
                    public void unloaded(CoordinatorShard shard) {
                        dropGroups(shard);
                    }
                });
        this.timers = new ScheduledThreadPoolExecutor(1, ThreadUtils.createThreadFactory("chronik-group-timers", true));
        this.timers.setRemoveOnCancelPolicy(true);
        this.offsets = new OffsetsManager(settings, metadata, partitions, topicIndex, this::scheduleSession);
        timers.scheduleWithFixedDelay(this::sweep, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
        timers.scheduleWithFixedDelay(offsets::expireGroups, settings.retentionCheckIntervalMs(),
                settings.retentionCheckIntervalMs(), TimeUnit.MILLISECONDS);
    }

    public GroupSettings settings() {
        return settings;
    }

    // ---------------------------------------------------------------- placement, loading

    /** FindCoordinator for a group: the leader of the group's offsets partition. Creates the offsets topic if needed. */
    public Coordinator findCoordinator(String groupId) {
        return partitions.findCoordinator(groupId);
    }

    private CoordinatedPartitions.Lookup lookup(String groupId) {
        return partitions.lookup(groupId);
    }

    /** Follows the leadership of the offsets partitions, and the deletion of topics. */
    private void sweep() {
        try {
            partitions.sweep();
            ClusterMetadata md = metadata.get();
            if (md != null) {
                offsets.forgetDeletedTopics(md);
            }
        } catch (RuntimeException e) {
            LOG.warn("group coordinator sweep failed", e);
        }
    }

    /** A shard is no longer coordinated here: its groups' waiting members are answered NOT_COORDINATOR. */
    private void dropGroups(CoordinatorShard shard) {
        for (ClassicGroup g : shard.groups.values()) {
            synchronized (g) {
                for (GroupMember m : g.members()) {
                    m.cancelSessionTimer();
                    answerWaiting(m, Errors.NOT_COORDINATOR);
                }
                g.markDead();
            }
        }
    }

    /** Rebuilds the groups of a freshly loaded shard from its live records. */
    private void buildGroups(CoordinatorShard shard, Map<Key, byte[]> state) {
        Set<String> withRecord = new java.util.HashSet<>();
        for (Map.Entry<Key, byte[]> e : state.entrySet()) {
            Key key = e.getKey();
            ClassicGroup g = shard.groups.computeIfAbsent(key.group(), id -> new ClassicGroup(id, shard));
            synchronized (g) {
                try {
                    if (key instanceof GroupRecords.OffsetKey k) {
                        GroupRecords.OffsetValue v = GroupRecords.readOffsetValue(java.nio.ByteBuffer.wrap(e.getValue()));
                        g.offsets.put(new TopicPartition(k.topic(), k.partition()),
                                new ClassicGroup.Committed(v.offset(), v.leaderEpoch(), v.metadata(), v.commitTimestamp()));
                    } else {
                        g.restore(GroupRecords.readGroupValue(java.nio.ByteBuffer.wrap(e.getValue())));
                        withRecord.add(g.groupId);
                    }
                } catch (RuntimeException ex) {
                    LOG.warn("skipping unreadable value of {} in {}-{}: {}", key, OFFSETS_TOPIC, shard.partition, ex.toString());
                }
            }
        }
        int members = 0;
        for (ClassicGroup g : shard.groups.values()) {
            synchronized (g) {
                if (!withRecord.contains(g.groupId)) {
                    // offsets committed from outside any generation: the group has been empty since the last commit
                    g.restoreStateTimestampFromOffsets();
                }
                for (GroupMember m : g.members()) {
                    scheduleSession(g, m);
                    members++;
                }
            }
        }
        if (shard.groups.isEmpty()) {
            LOG.debug("coordinating {}-{} at leader epoch {} (no groups yet)", OFFSETS_TOPIC, shard.partition, shard.epoch);
        } else {
            LOG.info("coordinating {} groups ({} members) of {}-{} at leader epoch {}", shard.groups.size(), members,
                    OFFSETS_TOPIC, shard.partition, shard.epoch);
        }
    }

    // ---------------------------------------------------------------- membership

    /**
     * JoinGroup. Completes when the member has joined a generation (or with an error); with KIP-394 (v4+) a member
     * without an id first gets MEMBER_ID_REQUIRED and a member id to join with.
     */
    public CompletableFuture<JoinGroupResponseData> joinGroup(JoinGroupRequestData req, short version, String clientId,
            String clientHost) {
        String memberId = req.memberId() == null ? "" : req.memberId();
        CoordinatedPartitions.Lookup l = lookup(req.groupId());
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(joinError(memberId, l.error()));
        }
        if (req.sessionTimeoutMs() < settings.minSessionTimeoutMs() || req.sessionTimeoutMs() > settings.maxSessionTimeoutMs()) {
            return CompletableFuture.completedFuture(joinError(memberId, Errors.INVALID_SESSION_TIMEOUT));
        }
        List<GroupMember.Protocol> protocols = new ArrayList<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol p : req.protocols()) {
            protocols.add(new GroupMember.Protocol(p.name(), p.metadata() == null ? EMPTY : p.metadata()));
        }
        JoinRequest join = new JoinRequest(memberId, req.groupInstanceId(), clientId == null ? "" : clientId, clientHost,
                version == 0 ? req.sessionTimeoutMs() : req.rebalanceTimeoutMs(), req.sessionTimeoutMs(), req.protocolType(),
                protocols, version >= 4, version >= 9);
        CompletableFuture<JoinGroupResponseData> response = new CompletableFuture<>();
        CoordinatorShard shard = l.shard();
        ClassicGroup g = memberId.isEmpty() ? shard.groups.computeIfAbsent(req.groupId(), id -> new ClassicGroup(id, shard))
                : shard.groups.get(req.groupId());
        if (g == null) {
            return CompletableFuture.completedFuture(joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
        }
        synchronized (g) {
            if (g.is(GroupState.DEAD)) {
                response.complete(joinError(memberId, Errors.COORDINATOR_NOT_AVAILABLE));
            } else if (!g.supportsProtocols(join.protocolType, protocols)) {
                response.complete(joinError(memberId, Errors.INCONSISTENT_GROUP_PROTOCOL));
            } else if (memberId.isEmpty()) {
                unknownMemberJoin(g, join, response);
            } else {
                knownMemberJoin(g, join, response);
            }
            g.shard.removeIfUnused(g);
        }
        return response;
    }

    private record JoinRequest(String memberId, String instanceId, String clientId, String clientHost, int rebalanceTimeoutMs,
            int sessionTimeoutMs, String protocolType, List<GroupMember.Protocol> protocols, boolean requireKnownMemberId,
            boolean supportsSkipAssignment) {
    }

    private void unknownMemberJoin(ClassicGroup g, JoinRequest join, CompletableFuture<JoinGroupResponseData> response) {
        if (g.isFull(settings.maxGroupSize())) {
            response.complete(joinError("", Errors.GROUP_MAX_SIZE_REACHED));
            return;
        }
        String newId = join.clientId + "-" + UUID.randomUUID();
        if (join.instanceId != null) {
            String oldId = g.staticMemberId(join.instanceId);
            if (oldId != null && g.hasMember(oldId)) {
                replaceStaticMember(g, g.member(oldId), newId, join, response);
            } else {
                addMemberAndRebalance(g, newId, join, response);
            }
        } else if (join.requireKnownMemberId) {
            // KIP-394: the member must come back with this id; until then it is pending (and expires like a member)
            g.addPendingMember(newId, timers.schedule(() -> expirePending(g, newId), join.sessionTimeoutMs,
                    TimeUnit.MILLISECONDS));
            response.complete(joinError(newId, Errors.MEMBER_ID_REQUIRED));
        } else {
            addMemberAndRebalance(g, newId, join, response);
        }
    }

    private void knownMemberJoin(ClassicGroup g, JoinRequest join, CompletableFuture<JoinGroupResponseData> response) {
        if (g.removePendingMember(join.memberId)) {
            addMemberAndRebalance(g, join.memberId, join, response);
            return;
        }
        Errors fenced = g.checkInstance(join.memberId, join.instanceId);
        if (fenced != Errors.NONE) {
            response.complete(joinError(join.memberId, fenced));
            return;
        }
        GroupMember m = g.member(join.memberId);
        if (m == null) {
            response.complete(joinError(join.memberId, Errors.UNKNOWN_MEMBER_ID));
            return;
        }
        switch (g.state()) {
            case PREPARING_REBALANCE:
                updateMemberAndRebalance(g, m, join, response);
                break;
            case COMPLETING_REBALANCE:
                if (m.sameProtocols(join.protocols)) {
                    // the member did not get its JoinGroup response: send it again
                    response.complete(joinResponse(g, m, g.isLeader(m.memberId), false));
                } else {
                    updateMemberAndRebalance(g, m, join, response);
                }
                break;
            case STABLE:
                if (g.isLeader(m.memberId) || !m.sameProtocols(join.protocols)) {
                    updateMemberAndRebalance(g, m, join, response);
                } else {
                    response.complete(joinResponse(g, m, false, false));
                }
                break;
            default:
                response.complete(joinError(join.memberId, Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private void addMemberAndRebalance(ClassicGroup g, String memberId, JoinRequest join,
            CompletableFuture<JoinGroupResponseData> response) {
        GroupMember m = new GroupMember(memberId, join.instanceId, join.clientId, join.clientHost, join.rebalanceTimeoutMs,
                join.sessionTimeoutMs, join.protocols);
        m.isNew = true;
        m.awaitingJoin = response;
        g.add(m, join.protocolType);
        scheduleSession(g, m);
        maybePrepareRebalance(g, "member " + memberId + " joined");
    }

    private void updateMemberAndRebalance(ClassicGroup g, GroupMember m, JoinRequest join,
            CompletableFuture<JoinGroupResponseData> response) {
        m.protocols = join.protocols;
        m.rebalanceTimeoutMs = join.rebalanceTimeoutMs;
        m.sessionTimeoutMs = join.sessionTimeoutMs;
        m.clientId = join.clientId;
        m.clientHost = join.clientHost;
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(joinError(m.memberId, Errors.REBALANCE_IN_PROGRESS));
        }
        m.awaitingJoin = response;
        scheduleSession(g, m);
        maybePrepareRebalance(g, "member " + m.memberId + " rejoined");
    }

    /** A static member came back with a new process: it takes over the old member's place. */
    private void replaceStaticMember(ClassicGroup g, GroupMember old, String newId, JoinRequest join,
            CompletableFuture<JoinGroupResponseData> response) {
        old.cancelSessionTimer();
        answerWaiting(old, Errors.FENCED_INSTANCE_ID);
        GroupMember m = new GroupMember(newId, join.instanceId, join.clientId, join.clientHost, join.rebalanceTimeoutMs,
                join.sessionTimeoutMs, old.protocols);
        m.assignment = old.assignment;
        g.replaceStaticMember(old, m);
        LOG.info("static member {} of group {} rejoined as {} (was {})", join.instanceId, g.groupId, newId, old.memberId);
        boolean unchanged = old.sameProtocols(join.protocols);
        if (g.is(GroupState.STABLE) && unchanged && (!g.isLeader(newId) || join.supportsSkipAssignment)) {
            // same subscription: no rebalance; the member gets the current generation and keeps its assignment
            long phase = g.phase();
            scheduleSession(g, m);
            g.shard.storeGroup(g, g.toRecord()).whenComplete((v, failure) -> {
                synchronized (g) {
                    if (failure != null) {
                        response.complete(joinError(newId, CoordinatorShard.appendError(failure, false)));
                    } else {
                        boolean leader = g.isLeader(newId) && g.isPhase(phase);
                        response.complete(joinResponse(g, m, leader, leader));
                    }
                }
            });
        } else {
            m.protocols = join.protocols;
            m.awaitingJoin = response;
            scheduleSession(g, m);
            maybePrepareRebalance(g, "static member " + join.instanceId + " rejoined");
        }
    }

    private void maybePrepareRebalance(ClassicGroup g, String reason) {
        if (g.canRebalance()) {
            prepareRebalance(g, reason);
        } else if (g.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(g);
        }
    }

    private void prepareRebalance(ClassicGroup g, String reason) {
        if (g.is(GroupState.COMPLETING_REBALANCE)) {
            for (GroupMember m : g.members()) {
                if (m.awaitingSync != null) {
                    m.awaitingSync.complete(syncError(Errors.REBALANCE_IN_PROGRESS));
                    m.awaitingSync = null;
                }
            }
        }
        LOG.info("preparing to rebalance group {} in state {} with old generation {} ({})", g.groupId, g.state().kafkaName,
                g.generationId(), reason);
        long phase = g.prepareRebalance();
        if (g.isInitialJoin()) {
            int delay = settings.initialRebalanceDelayMs();
            int remaining = Math.max(g.rebalanceTimeoutMs() - delay, 0);
            g.setPhaseTimer(timers.schedule(() -> initialJoinExpired(g, phase, delay, remaining), delay, TimeUnit.MILLISECONDS));
        } else {
            g.setPhaseTimer(timers.schedule(() -> joinExpired(g, phase), g.rebalanceTimeoutMs(), TimeUnit.MILLISECONDS));
            tryCompleteJoin(g);
        }
    }

    private void initialJoinExpired(ClassicGroup g, long phase, int delay, int remaining) {
        synchronized (g) {
            if (!g.isPhase(phase) || !g.is(GroupState.PREPARING_REBALANCE)) {
                return;
            }
            if (remaining > 0 && g.takeNewMemberAdded()) {
                // members keep arriving: wait a little longer, up to the rebalance timeout
                int next = Math.min(delay, remaining);
                int left = Math.max(remaining - delay, 0);
                g.setPhaseTimer(timers.schedule(() -> initialJoinExpired(g, phase, next, left), next, TimeUnit.MILLISECONDS));
                return;
            }
            completeJoin(g);
        }
    }

    private void joinExpired(ClassicGroup g, long phase) {
        synchronized (g) {
            if (g.isPhase(phase) && g.is(GroupState.PREPARING_REBALANCE)) {
                completeJoin(g);
            }
        }
    }

    private void tryCompleteJoin(ClassicGroup g) {
        if (g.is(GroupState.PREPARING_REBALANCE) && !g.isInitialJoin() && g.allMembersJoined()) {
            completeJoin(g);
        }
    }

    /** The rebalance ends: members that did not rejoin are dropped and the others get the next generation. */
    private void completeJoin(ClassicGroup g) {
        for (GroupMember m : new ArrayList<>(g.members())) {
            if (m.awaitingJoin == null && m.instanceId == null) {
                LOG.info("member {} of group {} did not rejoin in time; removing it", m.memberId, g.groupId);
                removeMember(g, m);
            }
        }
        long phase = g.initNextGeneration();
        if (g.is(GroupState.EMPTY)) {
            LOG.info("group {} is empty at generation {}", g.groupId, g.generationId());
            g.shard.storeGroup(g, g.toRecord()).whenComplete((v, failure) -> {
                if (failure != null) {
                    LOG.warn("storing empty group {} failed: {}", g.groupId, KafkaErrors.unwrap(failure).toString());
                }
            });
            return;
        }
        LOG.info("group {} has generation {} with {} members, protocol {}, leader {}", g.groupId, g.generationId(),
                g.members().size(), g.protocolName(), g.leaderId());
        for (GroupMember m : g.members()) {
            if (m.awaitingJoin != null) {
                m.awaitingJoin.complete(joinResponse(g, m, g.isLeader(m.memberId), false));
                m.awaitingJoin = null;
            }
            m.isNew = false;
            scheduleSession(g, m);
        }
        g.setPhaseTimer(timers.schedule(() -> syncExpired(g, phase), g.rebalanceTimeoutMs(), TimeUnit.MILLISECONDS));
    }

    /** The members that did not send SyncGroup within the rebalance timeout are removed, and the group rebalances. */
    private void syncExpired(ClassicGroup g, long phase) {
        synchronized (g) {
            if (!g.isPhase(phase) || !g.is(GroupState.COMPLETING_REBALANCE)) {
                return;
            }
            for (String id : g.membersNotSynced()) {
                GroupMember m = g.member(id);
                if (m != null) {
                    LOG.info("member {} of group {} did not sync in time; removing it", id, g.groupId);
                    removeMember(g, m);
                }
            }
            prepareRebalance(g, "members did not sync in time");
        }
    }

    private JoinGroupResponseData joinResponse(ClassicGroup g, GroupMember m, boolean withMembers, boolean skipAssignment) {
        JoinGroupResponseData r = new JoinGroupResponseData().setErrorCode(Errors.NONE.code()).setGenerationId(g.generationId())
                .setProtocolType(g.protocolType()).setProtocolName(g.protocolName()).setLeader(g.leaderId())
                .setMemberId(m.memberId).setSkipAssignment(skipAssignment);
        if (withMembers) {
            for (GroupMember other : g.members()) {
                byte[] metadata = other.metadata(g.protocolName());
                r.members().add(new JoinGroupResponseData.JoinGroupResponseMember().setMemberId(other.memberId)
                        .setGroupInstanceId(other.instanceId).setMetadata(metadata == null ? EMPTY : metadata));
            }
        }
        return r;
    }

    public static JoinGroupResponseData joinError(String memberId, Errors error) {
        return new JoinGroupResponseData().setErrorCode(error.code()).setGenerationId(-1).setMemberId(memberId)
                .setLeader("").setProtocolName(null).setProtocolType(null);
    }

    static SyncGroupResponseData syncError(Errors error) {
        return new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(EMPTY);
    }

    /** SyncGroup: followers wait for the leader's assignment; the leader's is stored, then handed to all. */
    public CompletableFuture<SyncGroupResponseData> syncGroup(SyncGroupRequestData req) {
        CoordinatedPartitions.Lookup l = lookup(req.groupId());
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(syncError(l.error()));
        }
        ClassicGroup g = l.shard().groups.get(req.groupId());
        if (g == null) {
            return CompletableFuture.completedFuture(syncError(Errors.UNKNOWN_MEMBER_ID));
        }
        CompletableFuture<SyncGroupResponseData> response = new CompletableFuture<>();
        synchronized (g) {
            Errors error = g.validateMember(req.memberId(), req.groupInstanceId());
            GroupMember m = g.member(req.memberId());
            if (error == Errors.NONE && req.generationId() != g.generationId()) {
                error = Errors.ILLEGAL_GENERATION;
            }
            if (error == Errors.NONE && ((req.protocolType() != null && !req.protocolType().equals(g.protocolType()))
                    || (req.protocolName() != null && !req.protocolName().equals(g.protocolName())))) {
                error = Errors.INCONSISTENT_GROUP_PROTOCOL;
            }
            if (error != Errors.NONE) {
                return CompletableFuture.completedFuture(syncError(error));
            }
            switch (g.state()) {
                case PREPARING_REBALANCE:
                    return CompletableFuture.completedFuture(syncError(Errors.REBALANCE_IN_PROGRESS));
                case STABLE:
                    scheduleSession(g, m);
                    return CompletableFuture.completedFuture(syncResponse(g, m.assignment));
                case COMPLETING_REBALANCE:
                    break;
                default:
                    return CompletableFuture.completedFuture(syncError(Errors.UNKNOWN_MEMBER_ID));
            }
            if (m.awaitingSync != null) {
                m.awaitingSync.complete(syncError(Errors.REBALANCE_IN_PROGRESS));
            }
            m.awaitingSync = response;
            g.synced(m.memberId);
            scheduleSession(g, m);
            if (g.isLeader(m.memberId)) {
                Map<String, byte[]> assignments = new HashMap<>();
                for (SyncGroupRequestData.SyncGroupRequestAssignment a : req.assignments()) {
                    assignments.put(a.memberId(), a.assignment() == null ? EMPTY : a.assignment());
                }
                for (GroupMember member : g.members()) {
                    assignments.putIfAbsent(member.memberId, EMPTY);
                }
                long phase = g.phase();
                GroupRecords.GroupValue record = g.toRecord(assignments);
                g.shard.storeGroup(g, record).whenComplete((v, failure) -> {
                    synchronized (g) {
                        if (!g.isPhase(phase) || !g.is(GroupState.COMPLETING_REBALANCE)) {
                            return; // a new rebalance began meanwhile and answered those waiting
                        }
                        if (failure != null) {
                            Errors e = CoordinatorShard.appendError(failure, false);
                            LOG.warn("storing the assignment of group {} failed: {}", g.groupId, KafkaErrors.unwrap(failure).toString());
                            for (GroupMember member : g.members()) {
                                if (member.awaitingSync != null) {
                                    member.awaitingSync.complete(syncError(e));
                                    member.awaitingSync = null;
                                }
                            }
                            prepareRebalance(g, "storing the assignment failed");
                            return;
                        }
                        g.completeSync(assignments);
                        for (GroupMember member : g.members()) {
                            if (member.awaitingSync != null) {
                                member.awaitingSync.complete(syncResponse(g, member.assignment));
                                member.awaitingSync = null;
                            }
                        }
                        LOG.info("group {} is stable at generation {}", g.groupId, g.generationId());
                    }
                });
            }
        }
        return response;
    }

    private static SyncGroupResponseData syncResponse(ClassicGroup g, byte[] assignment) {
        return new SyncGroupResponseData().setErrorCode(Errors.NONE.code()).setProtocolType(g.protocolType())
                .setProtocolName(g.protocolName()).setAssignment(assignment);
    }

    /** Heartbeat: keeps the member's session; tells it when a rebalance is under way. */
    public Errors heartbeat(HeartbeatRequestData req) {
        CoordinatedPartitions.Lookup l = lookup(req.groupId());
        if (l.error() != Errors.NONE) {
            return l.error();
        }
        ClassicGroup g = l.shard().groups.get(req.groupId());
        if (g == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        synchronized (g) {
            Errors error = g.validateMember(req.memberId(), req.groupInstanceId());
            if (error != Errors.NONE) {
                return error;
            }
            if (g.is(GroupState.EMPTY)) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (req.generationId() != g.generationId()) {
                return Errors.ILLEGAL_GENERATION;
            }
            scheduleSession(g, g.member(req.memberId()));
            return g.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
        }
    }

    /** LeaveGroup: the top-level error, and one response per member asked about. */
    public Map.Entry<Errors, List<MemberResponse>> leaveGroup(String groupId, List<MemberIdentity> leaving) {
        List<MemberResponse> responses = new ArrayList<>();
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return new AbstractMap.SimpleImmutableEntry<>(l.error(), responses);
        }
        ClassicGroup g = l.shard().groups.get(groupId);
        if (g == null) {
            for (MemberIdentity id : leaving) {
                responses.add(memberResponse(id, Errors.UNKNOWN_MEMBER_ID));
            }
            return new AbstractMap.SimpleImmutableEntry<>(Errors.NONE, responses);
        }
        synchronized (g) {
            if (g.is(GroupState.DEAD)) {
                return new AbstractMap.SimpleImmutableEntry<>(Errors.COORDINATOR_NOT_AVAILABLE, responses);
            }
            for (MemberIdentity id : leaving) {
                String memberId = id.memberId() == null ? "" : id.memberId();
                Errors error;
                if (id.groupInstanceId() != null) {
                    String current = g.staticMemberId(id.groupInstanceId());
                    if (current == null || !g.hasMember(current)) {
                        error = Errors.UNKNOWN_MEMBER_ID;
                    } else if (!memberId.isEmpty() && !memberId.equals(current)) {
                        error = Errors.FENCED_INSTANCE_ID;
                    } else {
                        removeMemberAndUpdateGroup(g, g.member(current), "static member " + id.groupInstanceId() + " left");
                        error = Errors.NONE;
                    }
                } else if (g.removePendingMember(memberId)) {
                    tryCompleteJoin(g);
                    error = Errors.NONE;
                } else if (g.hasMember(memberId)) {
                    removeMemberAndUpdateGroup(g, g.member(memberId), "member " + memberId + " left"
                            + (id.reason() == null ? "" : ": " + id.reason()));
                    error = Errors.NONE;
                } else {
                    error = Errors.UNKNOWN_MEMBER_ID;
                }
                responses.add(memberResponse(id, error));
            }
        }
        return new AbstractMap.SimpleImmutableEntry<>(Errors.NONE, responses);
    }

    private static MemberResponse memberResponse(MemberIdentity id, Errors error) {
        return new MemberResponse().setMemberId(id.memberId()).setGroupInstanceId(id.groupInstanceId()).setErrorCode(error.code());
    }

    private void removeMember(ClassicGroup g, GroupMember m) {
        m.cancelSessionTimer();
        g.remove(m);
        answerWaiting(m, Errors.UNKNOWN_MEMBER_ID);
    }

    /** Answers the member's waiting JoinGroup and SyncGroup, if any, with {@code error}. */
    private static void answerWaiting(GroupMember m, Errors error) {
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(joinError(m.memberId, error));
            m.awaitingJoin = null;
        }
        if (m.awaitingSync != null) {
            m.awaitingSync.complete(syncError(error));
            m.awaitingSync = null;
        }
    }

    private void removeMemberAndUpdateGroup(ClassicGroup g, GroupMember m, String reason) {
        removeMember(g, m);
        if (g.is(GroupState.STABLE) || g.is(GroupState.COMPLETING_REBALANCE)) {
            prepareRebalance(g, reason);
        } else if (g.is(GroupState.PREPARING_REBALANCE)) {
            tryCompleteJoin(g);
        }
    }

    private void scheduleSession(ClassicGroup g, GroupMember m) {
        m.cancelSessionTimer();
        long seq = ++m.sessionSeq;
        m.sessionTimer = timers.schedule(() -> expireSession(g, m, seq), m.sessionTimeoutMs, TimeUnit.MILLISECONDS);
    }

    private void expireSession(ClassicGroup g, GroupMember m, long seq) {
        synchronized (g) {
            if (m.sessionSeq != seq || g.member(m.memberId) != m || g.is(GroupState.DEAD)) {
                return;
            }
            if (m.awaitingJoin != null || m.awaitingSync != null) {
                scheduleSession(g, m); // waiting on the coordinator, not silent: the rebalance and sync timeouts bound it
                return;
            }
            LOG.info("member {} of group {} has not sent a heartbeat for {} ms; removing it", m.memberId, g.groupId,
                    m.sessionTimeoutMs);
            removeMemberAndUpdateGroup(g, m, "session timeout of " + m.memberId);
        }
    }

    private void expirePending(ClassicGroup g, String memberId) {
        synchronized (g) {
            if (g.removePendingMember(memberId)) {
                tryCompleteJoin(g);
                g.shard.removeIfUnused(g);
            }
        }
    }

    // ---------------------------------------------------------------- offsets

    /**
     * OffsetCommit: per partition, the error (NONE once the commit is durable). {@code generation} -1 with an empty
     * member id is a commit from outside the group (a simple consumer or the admin client), allowed while the group
     * has no members.
     */
    public CompletableFuture<Map<TopicPartition, Errors>> commitOffsets(String groupId, int generation, String memberId,
            String instanceId, List<OffsetToCommit> commits) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(OffsetsManager.all(commits, l.error()));
        }
        return offsets.commitOffsets(l.shard(), groupId, generation, memberId, instanceId, commits);
    }

    /** OffsetFetch: the committed offsets of {@code partitions} ({@code null}: all the group has). */
    public FetchedOffsets fetchOffsets(String groupId, Collection<TopicPartition> partitions) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return new FetchedOffsets(l.error(), Map.of());
        }
        return offsets.fetchOffsets(l.shard(), groupId, partitions);
    }

    /** OffsetDelete: removes a group's offsets of topics its members do not subscribe to. */
    public CompletableFuture<Map.Entry<Errors, Map<TopicPartition, Errors>>> deleteOffsets(String groupId,
            List<TopicPartition> partitions) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(new AbstractMap.SimpleImmutableEntry<>(l.error(), Map.of()));
        }
        return offsets.deleteOffsets(l.shard(), groupId, partitions);
    }

    // ---------------------------------------------------------------- administration

    /** ListGroups over the groups this node coordinates; filters match Kafka's state and type names, ignoring case. */
    public Listing listGroups(List<String> states, List<String> types) {
        List<ListedGroup> out = new ArrayList<>();
        if (types != null && !types.isEmpty() && types.stream().noneMatch(t -> t.equalsIgnoreCase("classic"))) {
            return new Listing(Errors.NONE, out);
        }
        for (CoordinatorShard shard : partitions.active()) {
            for (ClassicGroup g : shard.groups.values()) {
                synchronized (g) {
                    if (g.is(GroupState.DEAD)) {
                        continue;
                    }
                    if (states != null && !states.isEmpty()
                            && states.stream().noneMatch(s -> s.equalsIgnoreCase(g.state().kafkaName))) {
                        continue;
                    }
                    out.add(new ListedGroup().setGroupId(g.groupId).setProtocolType(g.protocolType() == null ? "" : g.protocolType())
                            .setGroupState(g.state().kafkaName).setGroupType("classic"));
                }
            }
        }
        return new Listing(partitions.allLocalGroupsLoaded() ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS, out);
    }

    /** DescribeGroups for one group; a group that does not exist is reported Dead (and GROUP_ID_NOT_FOUND when asked). */
    public DescribedGroup describeGroup(String groupId, boolean notFoundError) {
        DescribedGroup d = new DescribedGroup().setGroupId(groupId).setGroupState(GroupState.DEAD.kafkaName)
                .setProtocolType("").setProtocolData("");
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return d.setErrorCode(l.error().code());
        }
        ClassicGroup g = l.shard().groups.get(groupId);
        if (g == null) {
            return notFoundError ? d.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code())
                    .setErrorMessage("group " + groupId + " not found") : d;
        }
        synchronized (g) {
            if (g.is(GroupState.DEAD) && notFoundError) {
                return d.setErrorCode(Errors.GROUP_ID_NOT_FOUND.code()).setErrorMessage("group " + groupId + " not found");
            }
            boolean stable = g.is(GroupState.STABLE);
            d.setGroupState(g.state().kafkaName).setProtocolType(g.protocolType() == null ? "" : g.protocolType())
                    .setProtocolData(stable && g.protocolName() != null ? g.protocolName() : "");
            for (GroupMember m : g.members()) {
                byte[] metadata = stable ? m.metadata(g.protocolName()) : null;
                d.members().add(new DescribedGroupMember().setMemberId(m.memberId).setGroupInstanceId(m.instanceId)
                        .setClientId(m.clientId).setClientHost(m.clientHost)
                        .setMemberMetadata(metadata == null ? EMPTY : metadata)
                        .setMemberAssignment(stable ? m.assignment : EMPTY));
            }
        }
        return d;
    }

    /** DeleteGroups for one group: only a group without members can be deleted; its offsets go with it. */
    public CompletableFuture<Errors> deleteGroup(String groupId) {
        CoordinatedPartitions.Lookup l = lookup(groupId);
        if (l.error() != Errors.NONE) {
            return CompletableFuture.completedFuture(l.error());
        }
        ClassicGroup g = l.shard().groups.get(groupId);
        if (g == null) {
            return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
        }
        synchronized (g) {
            if (g.is(GroupState.DEAD)) {
                return CompletableFuture.completedFuture(Errors.GROUP_ID_NOT_FOUND);
            }
            if (!g.is(GroupState.EMPTY) || g.hasPendingMembers()) {
                return CompletableFuture.completedFuture(Errors.NON_EMPTY_GROUP);
            }
            return g.shard.deleteGroup(g, "deleted").thenApply(v -> Errors.NONE)
                    .exceptionally(t -> CoordinatorShard.appendError(t, false));
        }
    }

    @Override
    public void close() {
        timers.shutdownNow();
        partitions.close();
    }
}
