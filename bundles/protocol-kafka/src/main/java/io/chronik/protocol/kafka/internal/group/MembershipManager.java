package io.chronik.protocol.kafka.internal.group;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator.Listing;

/**
 * The membership requests of the classic protocol (Kafka's {@code GroupMetadataManager} for classic groups):
 * JoinGroup, SyncGroup, Heartbeat and LeaveGroup on a group of a shard this node coordinates, and ListGroups,
 * DescribeGroups and DeleteGroups. {@link ClassicGroup} performs the transitions, the {@link Rebalancer} times the
 * rebalances and sessions, the group's {@link CoordinatorShard} stores the group.
 *
 * <p><b>Threads.</b> Requests arrive on Netty event loops and never block: each method holds the group's monitor
 * while it reads or changes the group; JoinGroup and SyncGroup complete their futures later (when the rebalance or
 * the leader's assignment is done, on a timer or consensus thread).
 */
final class MembershipManager {
    private static final Logger LOG = LoggerFactory.getLogger(MembershipManager.class);
    private static final byte[] EMPTY = new byte[0];

    private final GroupSettings settings;
    private final CoordinatedPartitions coordinated;
    private final Rebalancer rebalancer;

    /** @param coordinated the partitions this node coordinates, whose loaded groups ListGroups lists */
    MembershipManager(GroupSettings settings, CoordinatedPartitions coordinated, Rebalancer rebalancer) {
        this.settings = settings;
        this.coordinated = coordinated;
        this.rebalancer = rebalancer;
    }

    /**
     * JoinGroup. Completes when the member has joined a generation (or with an error); with KIP-394 (v4+) a member
     * without an id first gets MEMBER_ID_REQUIRED and a member id to join with.
     */
    CompletableFuture<JoinGroupResponseData> joinGroup(CoordinatorShard shard, JoinGroupRequestData req, short version,
            String clientId, String clientHost) {
        String memberId = req.memberId() == null ? "" : req.memberId();
        if (req.sessionTimeoutMs() < settings.minSessionTimeoutMs() || req.sessionTimeoutMs() > settings.maxSessionTimeoutMs()) {
            return CompletableFuture.completedFuture(GroupResponses.joinError(memberId, Errors.INVALID_SESSION_TIMEOUT));
        }
        List<GroupMember.Protocol> protocols = new ArrayList<>();
        for (JoinGroupRequestData.JoinGroupRequestProtocol p : req.protocols()) {
            protocols.add(new GroupMember.Protocol(p.name(), p.metadata() == null ? EMPTY : p.metadata()));
        }
        JoinRequest join = new JoinRequest(memberId, req.groupInstanceId(), clientId == null ? "" : clientId, clientHost,
                version == 0 ? req.sessionTimeoutMs() : req.rebalanceTimeoutMs(), req.sessionTimeoutMs(), req.protocolType(),
                protocols, version >= 4, version >= 9);
        CompletableFuture<JoinGroupResponseData> response = new CompletableFuture<>();
        ClassicGroup g = memberId.isEmpty() ? shard.getOrCreateGroup(req.groupId()) : shard.group(req.groupId());
        if (g == null) {
            return CompletableFuture.completedFuture(GroupResponses.joinError(memberId, Errors.UNKNOWN_MEMBER_ID));
        }
        synchronized (g) {
            if (g.is(GroupState.DEAD)) {
                response.complete(GroupResponses.joinError(memberId, Errors.COORDINATOR_NOT_AVAILABLE));
            } else if (!g.supportsProtocols(join.protocolType, protocols)) {
                response.complete(GroupResponses.joinError(memberId, Errors.INCONSISTENT_GROUP_PROTOCOL));
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
            response.complete(GroupResponses.joinError("", Errors.GROUP_MAX_SIZE_REACHED));
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
            g.addPendingMember(newId, rebalancer.schedulePendingExpiry(g, newId, join.sessionTimeoutMs));
            response.complete(GroupResponses.joinError(newId, Errors.MEMBER_ID_REQUIRED));
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
            response.complete(GroupResponses.joinError(join.memberId, fenced));
            return;
        }
        GroupMember m = g.member(join.memberId);
        if (m == null) {
            response.complete(GroupResponses.joinError(join.memberId, Errors.UNKNOWN_MEMBER_ID));
            return;
        }
        switch (g.state()) {
            case PREPARING_REBALANCE:
                updateMemberAndRebalance(g, m, join, response);
                break;
            case COMPLETING_REBALANCE:
                if (m.sameProtocols(join.protocols)) {
                    // the member did not get its JoinGroup response: send it again
                    response.complete(GroupResponses.joinResponse(g, m, g.isLeader(m.memberId), false));
                } else {
                    updateMemberAndRebalance(g, m, join, response);
                }
                break;
            case STABLE:
                if (g.isLeader(m.memberId) || !m.sameProtocols(join.protocols)) {
                    updateMemberAndRebalance(g, m, join, response);
                } else {
                    response.complete(GroupResponses.joinResponse(g, m, false, false));
                }
                break;
            default:
                response.complete(GroupResponses.joinError(join.memberId, Errors.UNKNOWN_MEMBER_ID));
        }
    }

    private void addMemberAndRebalance(ClassicGroup g, String memberId, JoinRequest join,
            CompletableFuture<JoinGroupResponseData> response) {
        GroupMember m = new GroupMember(memberId, join.instanceId, join.clientId, join.clientHost, join.rebalanceTimeoutMs,
                join.sessionTimeoutMs, join.protocols);
        m.isNew = true;
        m.awaitingJoin = response;
        g.add(m, join.protocolType);
        rebalancer.scheduleSession(g, m);
        rebalancer.maybePrepareRebalance(g, "member " + memberId + " joined");
    }

    private void updateMemberAndRebalance(ClassicGroup g, GroupMember m, JoinRequest join,
            CompletableFuture<JoinGroupResponseData> response) {
        m.update(join.protocols, join.rebalanceTimeoutMs, join.sessionTimeoutMs, join.clientId, join.clientHost);
        if (m.awaitingJoin != null) {
            m.awaitingJoin.complete(GroupResponses.joinError(m.memberId, Errors.REBALANCE_IN_PROGRESS));
        }
        m.awaitingJoin = response;
        rebalancer.scheduleSession(g, m);
        rebalancer.maybePrepareRebalance(g, "member " + m.memberId + " rejoined");
    }

    /** A static member came back with a new process: it takes over the old member's place. */
    private void replaceStaticMember(ClassicGroup g, GroupMember old, String newId, JoinRequest join,
            CompletableFuture<JoinGroupResponseData> response) {
        old.cancelSessionTimer();
        GroupResponses.answerWaiting(old, Errors.FENCED_INSTANCE_ID);
        GroupMember m = new GroupMember(newId, join.instanceId, join.clientId, join.clientHost, join.rebalanceTimeoutMs,
                join.sessionTimeoutMs, old.protocols);
        m.assignment = old.assignment;
        g.replaceStaticMember(old, m);
        LOG.info("static member {} of group {} rejoined as {} (was {})", join.instanceId, g.groupId, newId, old.memberId);
        boolean unchanged = old.sameProtocols(join.protocols);
        if (g.is(GroupState.STABLE) && unchanged && (!g.isLeader(newId) || join.supportsSkipAssignment)) {
            // same subscription: no rebalance; the member gets the current generation and keeps its assignment
            long phase = g.phase();
            rebalancer.scheduleSession(g, m);
            g.shard.storeGroup(g, g.toRecord()).whenComplete((v, failure) -> {
                synchronized (g) {
                    if (failure != null) {
                        response.complete(GroupResponses.joinError(newId, CoordinatorShard.appendError(failure, false)));
                    } else {
                        boolean leader = g.isLeader(newId) && g.isPhase(phase);
                        response.complete(GroupResponses.joinResponse(g, m, leader, leader));
                    }
                }
            });
        } else {
            m.protocols = join.protocols;
            m.awaitingJoin = response;
            rebalancer.scheduleSession(g, m);
            rebalancer.maybePrepareRebalance(g, "static member " + join.instanceId + " rejoined");
        }
    }

    /** SyncGroup: followers wait for the leader's assignment; the leader's is stored, then handed to all. */
    CompletableFuture<SyncGroupResponseData> syncGroup(CoordinatorShard shard, SyncGroupRequestData req) {
        ClassicGroup g = shard.group(req.groupId());
        if (g == null) {
            return CompletableFuture.completedFuture(GroupResponses.syncError(Errors.UNKNOWN_MEMBER_ID));
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
                return CompletableFuture.completedFuture(GroupResponses.syncError(error));
            }
            switch (g.state()) {
                case PREPARING_REBALANCE:
                    return CompletableFuture.completedFuture(GroupResponses.syncError(Errors.REBALANCE_IN_PROGRESS));
                case STABLE:
                    rebalancer.scheduleSession(g, m);
                    return CompletableFuture.completedFuture(GroupResponses.syncResponse(g, m.assignment));
                case COMPLETING_REBALANCE:
                    break;
                default:
                    return CompletableFuture.completedFuture(GroupResponses.syncError(Errors.UNKNOWN_MEMBER_ID));
            }
            if (m.awaitingSync != null) {
                m.awaitingSync.complete(GroupResponses.syncError(Errors.REBALANCE_IN_PROGRESS));
            }
            m.awaitingSync = response;
            g.synced(m.memberId);
            rebalancer.scheduleSession(g, m);
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
                                    member.awaitingSync.complete(GroupResponses.syncError(e));
                                    member.awaitingSync = null;
                                }
                            }
                            rebalancer.prepareRebalance(g, "storing the assignment failed");
                            return;
                        }
                        g.completeSync(assignments);
                        for (GroupMember member : g.members()) {
                            if (member.awaitingSync != null) {
                                member.awaitingSync.complete(GroupResponses.syncResponse(g, member.assignment));
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

    /** Heartbeat: keeps the member's session; tells it when a rebalance is under way. */
    Errors heartbeat(CoordinatorShard shard, HeartbeatRequestData req) {
        ClassicGroup g = shard.group(req.groupId());
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
            rebalancer.scheduleSession(g, g.member(req.memberId()));
            return g.is(GroupState.PREPARING_REBALANCE) ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
        }
    }

    /** LeaveGroup: the top-level error, and one response per member asked about. */
    Map.Entry<Errors, List<MemberResponse>> leaveGroup(CoordinatorShard shard, String groupId, List<MemberIdentity> leaving) {
        List<MemberResponse> responses = new ArrayList<>();
        ClassicGroup g = shard.group(groupId);
        if (g == null) {
            for (MemberIdentity id : leaving) {
                responses.add(GroupResponses.memberResponse(id, Errors.UNKNOWN_MEMBER_ID));
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
                        rebalancer.removeMemberAndUpdateGroup(g, g.member(current), "static member " + id.groupInstanceId() + " left");
                        error = Errors.NONE;
                    }
                } else if (g.removePendingMember(memberId)) {
                    rebalancer.tryCompleteJoin(g);
                    error = Errors.NONE;
                } else if (g.hasMember(memberId)) {
                    rebalancer.removeMemberAndUpdateGroup(g, g.member(memberId), "member " + memberId + " left"
                            + (id.reason() == null ? "" : ": " + id.reason()));
                    error = Errors.NONE;
                } else {
                    error = Errors.UNKNOWN_MEMBER_ID;
                }
                responses.add(GroupResponses.memberResponse(id, error));
            }
        }
        return new AbstractMap.SimpleImmutableEntry<>(Errors.NONE, responses);
    }

    /** ListGroups over the groups this node coordinates; filters match Kafka's state and type names, ignoring case. */
    Listing listGroups(List<String> states, List<String> types) {
        List<ListedGroup> out = new ArrayList<>();
        if (types != null && !types.isEmpty() && types.stream().noneMatch(t -> t.equalsIgnoreCase("classic"))) {
            return new Listing(Errors.NONE, out);
        }
        for (CoordinatorShard shard : coordinated.active()) {
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
        return new Listing(coordinated.allLocalGroupsLoaded() ? Errors.NONE : Errors.COORDINATOR_LOAD_IN_PROGRESS, out);
    }

    /** DescribeGroups for one group; a group that does not exist is reported Dead (and GROUP_ID_NOT_FOUND when asked). */
    DescribedGroup describeGroup(CoordinatorShard shard, String groupId, boolean notFoundError) {
        DescribedGroup d = GroupResponses.deadGroup(groupId);
        ClassicGroup g = shard.group(groupId);
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
    CompletableFuture<Errors> deleteGroup(CoordinatorShard shard, String groupId) {
        ClassicGroup g = shard.group(groupId);
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
}
