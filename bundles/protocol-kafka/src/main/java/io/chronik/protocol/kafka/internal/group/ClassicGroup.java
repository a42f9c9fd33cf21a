package io.chronik.protocol.kafka.internal.group;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

/**
 * A classic-protocol group: its members, generation, selected protocol and committed offsets, and the rules of its
 * state machine (Empty → PreparingRebalance → CompletingRebalance → Stable, and Dead). The methods here check and
 * perform the transitions and membership changes; the coordinator decides when (requests, timers) and answers the
 * members. Timers are scheduled by the coordinator and only kept here so that a transition can cancel them.
 *
 * <p><b>Threads.</b> Not thread-safe: every method must be called holding the group's own monitor
 * ({@code synchronized (group)}); the coordinator holds it for each operation. Nothing here blocks.
 */
final class ClassicGroup {
    static final String CONSUMER_PROTOCOL_TYPE = "consumer";
    private static final byte[] EMPTY = new byte[0];

    /** A committed offset as the group keeps it. */
    record Committed(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    final String groupId;
    final CoordinatorShard shard;
    /** The committed offsets, read and changed by the offsets manager (under the group's monitor). */
    final Map<TopicPartition, Committed> offsets = new HashMap<>();
    /** Offset commits appended but not yet committed: the group must not be dropped meanwhile. */
    int pendingCommits;

    private GroupState state = GroupState.EMPTY;
    private long stateTimestamp = System.currentTimeMillis();
    private String protocolType;
    private String protocolName;
    private int generationId;
    private String leaderId;
    private final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394) whose owners have not joined with them yet. */
    private final Map<String, ScheduledFuture<?>> pendingMembers = new HashMap<>();
    /** group.instance.id → member id of the static members. */
    private final Map<String, String> staticMembers = new HashMap<>();
    /** Members of the current generation that have not sent SyncGroup yet. */
    private final Set<String> pendingSync = new HashSet<>();
    /** Set when a member joins during an initial (delayed) rebalance: the delay is extended. */
    private boolean newMemberAdded;
    /** Whether the rebalance under way started from Empty (it waits group.initial.rebalance.delay.ms for members). */
    private boolean initialJoin;
    /** Identifies the current rebalance (or sync phase) so that a stale timer does nothing. */
    private long phase;
    private ScheduledFuture<?> phaseTimer;

    ClassicGroup(String groupId, CoordinatorShard shard) {
        this.groupId = groupId;
        this.shard = shard;
    }

    GroupState state() {
        return state;
    }

    boolean is(GroupState s) {
        return state == s;
    }

    /** When the group entered its state (or, for a group rebuilt from offsets only, when it last committed). */
    long stateTimestamp() {
        return stateTimestamp;
    }

    String protocolType() {
        return protocolType;
    }

    String protocolName() {
        return protocolName;
    }

    int generationId() {
        return generationId;
    }

    String leaderId() {
        return leaderId;
    }

    boolean isLeader(String memberId) {
        return memberId.equals(leaderId);
    }

    /** Moves to {@code to}; throws {@link IllegalStateException} if the state machine does not allow it. */
    private void transitionTo(GroupState to) {
        if (!to.canFollow(state)) {
            throw new IllegalStateException("group " + groupId + " cannot go from " + state.kafkaName + " to " + to.kafkaName);
        }
        state = to;
        stateTimestamp = System.currentTimeMillis();
    }

    /** Whether a rebalance may start now (from Stable, CompletingRebalance or Empty). */
    boolean canRebalance() {
        return GroupState.PREPARING_REBALANCE.canFollow(state);
    }

    GroupMember member(String memberId) {
        return members.get(memberId);
    }

    boolean hasMember(String memberId) {
        return members.containsKey(memberId);
    }

    /** The members, in join order; a view that must not be changed (use {@link #add} and {@link #remove}). */
    Collection<GroupMember> members() {
        return Collections.unmodifiableCollection(members.values());
    }

    /** Whether members and pending members together have reached {@code maxSize}. */
    boolean isFull(int maxSize) {
        return members.size() + pendingMembers.size() >= maxSize;
    }

    /** The member id of the static member {@code instanceId}, or null. */
    String staticMemberId(String instanceId) {
        return staticMembers.get(instanceId);
    }

    /** FENCED_INSTANCE_ID if {@code instanceId} belongs to another member id, UNKNOWN_MEMBER_ID if to none. */
    Errors checkInstance(String memberId, String instanceId) {
        if (instanceId == null) {
            return Errors.NONE;
        }
        String current = staticMembers.get(instanceId);
        if (current == null) {
            return Errors.UNKNOWN_MEMBER_ID;
        }
        return current.equals(memberId) ? Errors.NONE : Errors.FENCED_INSTANCE_ID;
    }

    /** UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID or COORDINATOR_NOT_AVAILABLE (dead group), else NONE. */
    Errors validateMember(String memberId, String instanceId) {
        if (is(GroupState.DEAD)) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        Errors fenced = checkInstance(memberId, instanceId);
        if (fenced != Errors.NONE) {
            return fenced;
        }
        return members.containsKey(memberId) ? Errors.NONE : Errors.UNKNOWN_MEMBER_ID;
    }

    /**
     * Adds a member: the first one sets the group's protocol type, a group without a (present) leader gets it as
     * leader, and an initial rebalance under way waits a little longer.
     */
    void add(GroupMember m, String memberProtocolType) {
        if (members.isEmpty()) {
            protocolType = memberProtocolType;
        }
        members.put(m.memberId, m);
        if (m.instanceId != null) {
            staticMembers.put(m.instanceId, m.memberId);
        }
        if (leaderId == null || !members.containsKey(leaderId)) {
            leaderId = m.memberId;
        }
        newMemberAdded = true;
    }

    /** Removes a member (it no longer awaits a sync); a removed leader is succeeded by the first remaining member. */
    void remove(GroupMember m) {
        members.remove(m.memberId);
        if (m.instanceId != null) {
            staticMembers.remove(m.instanceId, m.memberId);
        }
        pendingSync.remove(m.memberId);
        if (isLeader(m.memberId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }

    /** A static member's new process {@code m} takes the place of {@code old}: its instance id, leadership and sync. */
    void replaceStaticMember(GroupMember old, GroupMember m) {
        members.remove(old.memberId);
        members.put(m.memberId, m);
        staticMembers.put(m.instanceId, m.memberId);
        if (isLeader(old.memberId)) {
            leaderId = m.memberId;
        }
        if (pendingSync.remove(old.memberId)) {
            pendingSync.add(m.memberId);
        }
    }

    /** Records a member id handed out with MEMBER_ID_REQUIRED, with the timer that expires it. */
    void addPendingMember(String memberId, ScheduledFuture<?> expiry) {
        pendingMembers.put(memberId, expiry);
    }

    /** Forgets a pending member id and cancels its expiry; false if it was not pending. */
    boolean removePendingMember(String memberId) {
        ScheduledFuture<?> expiry = pendingMembers.remove(memberId);
        if (expiry == null) {
            return false;
        }
        expiry.cancel(false);
        return true;
    }

    boolean hasPendingMembers() {
        return !pendingMembers.isEmpty();
    }

    /** Whether a member with {@code type} and {@code protocols} could belong to this group. */
    boolean supportsProtocols(String type, List<GroupMember.Protocol> protocols) {
        if (type == null || type.isEmpty() || protocols.isEmpty()) {
            return false;
        }
        if (members.isEmpty()) {
            return true;
        }
        if (!type.equals(protocolType)) {
            return false;
        }
        Set<String> candidates = candidateProtocols();
        for (GroupMember.Protocol p : protocols) {
            if (candidates.contains(p.name())) {
                return true;
            }
        }
        return false;
    }

    /** The protocols every member supports, in the first member's order of preference. */
    private Set<String> candidateProtocols() {
        Set<String> candidates = null;
        for (GroupMember m : members.values()) {
            Set<String> names = new LinkedHashSet<>();
            for (GroupMember.Protocol p : m.protocols) {
                names.add(p.name());
            }
            if (candidates == null) {
                candidates = names;
            } else {
                candidates.retainAll(names);
            }
        }
        return candidates == null ? new LinkedHashSet<>() : candidates;
    }

    /** Each member votes for its most preferred candidate; the protocol with most votes wins. */
    private String selectProtocol() {
        Set<String> candidates = candidateProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (String c : candidates) {
            votes.put(c, 0);
        }
        for (GroupMember m : members.values()) {
            for (GroupMember.Protocol p : m.protocols) {
                if (candidates.contains(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        String best = null;
        int most = -1;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }

    boolean allMembersJoined() {
        if (!pendingMembers.isEmpty()) {
            return false;
        }
        for (GroupMember m : members.values()) {
            if (m.awaitingJoin == null) {
                return false;
            }
        }
        return true;
    }

    /** The largest rebalance timeout of the members: how long a rebalance waits for them. */
    int rebalanceTimeoutMs() {
        int max = 0;
        for (GroupMember m : members.values()) {
            max = Math.max(max, m.rebalanceTimeoutMs);
        }
        return max;
    }

    /** The topics the members subscribe to, or null if not known (not the consumer protocol, or unreadable). */
    Set<String> subscribedTopics() {
        if (!CONSUMER_PROTOCOL_TYPE.equals(protocolType) || protocolName == null) {
            return null;
        }
        Set<String> topics = new HashSet<>();
        for (GroupMember m : members.values()) {
            List<String> subscribed = m.consumerSubscription(protocolName);
            if (subscribed == null) {
                return null;
            }
            topics.addAll(subscribed);
        }
        return topics;
    }

    /** The group's record in {@code __consumer_offsets}. */
    GroupRecords.GroupValue toRecord() {
        return toRecord(null);
    }

    /** The group's record with the given assignments (member id → assignment) instead of the current ones. */
    GroupRecords.GroupValue toRecord(Map<String, byte[]> assignments) {
        List<GroupRecords.MemberValue> list = new ArrayList<>();
        for (GroupMember m : members.values()) {
            list.add(m.toRecord(protocolName, assignments == null ? m.assignment : assignments.getOrDefault(m.memberId, EMPTY)));
        }
        return new GroupRecords.GroupValue(protocolType == null ? "" : protocolType, generationId, protocolName, leaderId,
                stateTimestamp, list);
    }

    /** The current rebalance or sync phase, which a timer scheduled for it compares with {@link #isPhase}. */
    long phase() {
        return phase;
    }

    boolean isPhase(long p) {
        return phase == p;
    }

    /** Whether the rebalance under way started from Empty (and waits for more members first). */
    boolean isInitialJoin() {
        return initialJoin;
    }

    /** Whether a member joined since the last call (or since the initial rebalance began); clears the flag. */
    boolean takeNewMemberAdded() {
        boolean added = newMemberAdded;
        newMemberAdded = false;
        return added;
    }

    /** The timer of the current phase, cancelled by the next transition. */
    void setPhaseTimer(ScheduledFuture<?> timer) {
        phaseTimer = timer;
    }

    /**
     * Starts a rebalance: from CompletingRebalance the assignments handed out are void; nobody awaits a sync any
     * more. Returns the new phase. The caller first answers the members waiting on SyncGroup.
     */
    long prepareRebalance() {
        if (is(GroupState.COMPLETING_REBALANCE)) {
            for (GroupMember m : members.values()) {
                m.assignment = EMPTY;
            }
        }
        pendingSync.clear();
        boolean initial = is(GroupState.EMPTY);
        cancelPhaseTimer();
        long p = ++phase;
        transitionTo(GroupState.PREPARING_REBALANCE);
        initialJoin = initial;
        if (initial) {
            newMemberAdded = false;
        }
        return p;
    }

    /**
     * Ends the join phase with the next generation (the caller has removed the members that did not rejoin): Empty
     * without members, otherwise CompletingRebalance with the selected protocol, a leader that has rejoined, and every
     * member awaiting its sync. Returns the new phase.
     */
    long initNextGeneration() {
        cancelPhaseTimer();
        generationId++;
        long p = ++phase;
        initialJoin = false;
        if (members.isEmpty()) {
            protocolName = null;
            leaderId = null;
            transitionTo(GroupState.EMPTY);
            return p;
        }
        protocolName = selectProtocol();
        GroupMember leader = members.get(leaderId);
        if (leader == null || leader.awaitingJoin == null) {
            for (GroupMember m : members.values()) {
                if (m.awaitingJoin != null) {
                    leaderId = m.memberId;
                    break;
                }
            }
        }
        transitionTo(GroupState.COMPLETING_REBALANCE);
        pendingSync.addAll(members.keySet());
        return p;
    }

    /** A member sent its SyncGroup. */
    void synced(String memberId) {
        pendingSync.remove(memberId);
    }

    /** The members of the current generation that have not sent SyncGroup yet. */
    List<String> membersNotSynced() {
        return new ArrayList<>(pendingSync);
    }

    /** The leader's assignment is stored: every member gets its own (none if left out) and the group is Stable. */
    void completeSync(Map<String, byte[]> assignments) {
        cancelPhaseTimer();
        phase++;
        for (GroupMember m : members.values()) {
            m.assignment = assignments.getOrDefault(m.memberId, EMPTY);
        }
        pendingSync.clear();
        transitionTo(GroupState.STABLE);
    }

    /**
     * The group is gone (deleted, expired, unused, or no longer coordinated here): Dead, its rebalance timer and
     * pending member ids cancelled. Its members' timers and waiting requests are the caller's.
     */
    void markDead() {
        cancelPhaseTimer();
        for (ScheduledFuture<?> f : pendingMembers.values()) {
            f.cancel(false);
        }
        transitionTo(GroupState.DEAD);
    }

    /**
     * Whether the group never had a generation, members or offsets (a failed first join, a commit that was refused
     * or failed): such a group is dropped so that it is not listed.
     */
    boolean isUnused() {
        return is(GroupState.EMPTY) && generationId == 0 && members.isEmpty() && pendingMembers.isEmpty()
                && offsets.isEmpty() && pendingCommits == 0;
    }

    /** Whether the group has had no members for longer than {@code retentionMs} at {@code now}. */
    boolean isExpired(long now, long retentionMs) {
        return is(GroupState.EMPTY) && pendingMembers.isEmpty() && now - stateTimestamp > retentionMs;
    }

    /** Sets the group to what its stored record says (members without their sessions: the caller schedules them). */
    void restore(GroupRecords.GroupValue v) {
        protocolType = v.protocolType().isEmpty() ? null : v.protocolType();
        generationId = v.generation();
        protocolName = v.protocol();
        leaderId = v.leader();
        members.clear();
        staticMembers.clear();
        for (GroupRecords.MemberValue mv : v.members()) {
            GroupMember m = GroupMember.fromRecord(mv, v.protocol());
            members.put(m.memberId, m);
            if (m.instanceId != null) {
                staticMembers.put(m.instanceId, m.memberId);
            }
        }
        state = members.isEmpty() ? GroupState.EMPTY : GroupState.STABLE;
        stateTimestamp = v.stateTimestamp();
    }

    /** For a group rebuilt without a group record: it has been empty since its last offset commit. */
    void restoreStateTimestampFromOffsets() {
        stateTimestamp = offsets.values().stream().mapToLong(Committed::commitTimestamp).max().orElse(stateTimestamp);
    }

    private void cancelPhaseTimer() {
        if (phaseTimer != null) {
            phaseTimer.cancel(false);
            phaseTimer = null;
        }
    }
}
