package io.chronik.protocol.kafka.internal.group;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ConsumerProtocolSubscription;
import org.apache.kafka.common.protocol.ByteBufferAccessor;

/**
 * A classic-protocol group: its members, generation, selected protocol and committed offsets. Every field is
 * guarded by the group's own monitor ({@code synchronized (group)}); the coordinator holds it for each operation.
 */
final class ClassicGroup {
    static final String CONSUMER_PROTOCOL_TYPE = "consumer";

    /** A committed offset as the group keeps it. */
    record Committed(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    final String groupId;
    final CoordinatorShard shard;
    GroupState state = GroupState.EMPTY;
    long stateTimestamp = System.currentTimeMillis();
    String protocolType;
    String protocolName;
    int generationId;
    String leaderId;
    final LinkedHashMap<String, GroupMember> members = new LinkedHashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED (KIP-394) whose owners have not joined with them yet. */
    final Map<String, ScheduledFuture<?>> pendingMembers = new HashMap<>();
    /** group.instance.id → member id of the static members. */
    final Map<String, String> staticMembers = new HashMap<>();
    /** Members of the current generation that have not sent SyncGroup yet. */
    final Set<String> pendingSync = new HashSet<>();
    final Map<TopicPartition, Committed> offsets = new HashMap<>();
    /** Offset commits appended but not yet committed: the group must not be dropped meanwhile. */
    int pendingCommits;

    /** Set when a member joins during an initial (delayed) rebalance: the delay is extended. */
    boolean newMemberAdded;
    /** Whether the rebalance under way started from Empty (it waits group.initial.rebalance.delay.ms for members). */
    boolean initialJoin;
    /** Identifies the current rebalance (or sync phase) so that a stale timer does nothing. */
    long phase;
    ScheduledFuture<?> phaseTimer;

    ClassicGroup(String groupId, CoordinatorShard shard) {
        this.groupId = groupId;
        this.shard = shard;
    }

    void transition(GroupState to) {
        state = to;
        stateTimestamp = System.currentTimeMillis();
    }

    boolean is(GroupState s) {
        return state == s;
    }

    boolean isLeader(String memberId) {
        return memberId.equals(leaderId);
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
    Set<String> candidateProtocols() {
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
    String selectProtocol() {
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
            byte[] metadata = m.metadata(protocolName);
            if (metadata == null) {
                return null;
            }
            try {
                // the consumer protocol's subscription: a version, then the message at that version
                ByteBuffer b = ByteBuffer.wrap(metadata);
                short version = (short) Math.min(b.getShort(), ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION);
                topics.addAll(new ConsumerProtocolSubscription(new ByteBufferAccessor(b), version).topics());
            } catch (RuntimeException e) {
                return null;
            }
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
            byte[] subscription = protocolName == null ? null : m.metadata(protocolName);
            byte[] assignment = assignments == null ? m.assignment : assignments.getOrDefault(m.memberId, new byte[0]);
            list.add(new GroupRecords.MemberValue(m.memberId, m.instanceId, m.clientId, m.clientHost, m.rebalanceTimeoutMs,
                    m.sessionTimeoutMs, subscription == null ? new byte[0] : subscription, assignment));
        }
        return new GroupRecords.GroupValue(protocolType == null ? "" : protocolType, generationId, protocolName, leaderId,
                stateTimestamp, list);
    }

    void cancelPhaseTimer() {
        if (phaseTimer != null) {
            phaseTimer.cancel(false);
            phaseTimer = null;
        }
    }
}
