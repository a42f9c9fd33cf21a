package io.chronik.protocol.kafka.internal.group;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.common.message.ConsumerProtocolSubscription;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ByteBufferAccessor;

/**
 * A member of a classic group: who it is, what it supports, its assignment, and the requests and session timer of
 * the member that the coordinator keeps. Not thread-safe: guarded by its group's monitor.
 */
final class GroupMember {
    /** A protocol (assignor) the member supports, with its metadata (the consumer's subscription). */
    record Protocol(String name, byte[] metadata) {
    }

    final String memberId;
    final String instanceId;
    String clientId;
    String clientHost;
    int rebalanceTimeoutMs;
    int sessionTimeoutMs;
    List<Protocol> protocols;
    byte[] assignment = new byte[0];

    /** The pending JoinGroup response while the member waits for a rebalance to complete. */
    CompletableFuture<JoinGroupResponseData> awaitingJoin;
    /** The pending SyncGroup response while the member waits for the leader's assignment. */
    CompletableFuture<SyncGroupResponseData> awaitingSync;
    /** A member that joined during the current rebalance and has no generation yet. */
    boolean isNew;
    ScheduledFuture<?> sessionTimer;
    /** Bumped at every (re)scheduling of the session timer, so that a superseded expiry does nothing. */
    long sessionSeq;

    GroupMember(String memberId, String instanceId, String clientId, String clientHost, int rebalanceTimeoutMs,
            int sessionTimeoutMs, List<Protocol> protocols) {
        this.memberId = memberId;
        this.instanceId = instanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocols = protocols;
    }

    /** The metadata the member gave for {@code protocol}, or null if it does not support it. */
    byte[] metadata(String protocol) {
        for (Protocol p : protocols) {
            if (p.name().equals(protocol)) {
                return p.metadata();
            }
        }
        return null;
    }

    boolean supports(String protocol) {
        return metadata(protocol) != null;
    }

    /**
     * The topics of the member's consumer-protocol subscription for {@code protocol}, or null if it gave none or it
     * cannot be read.
     */
    List<String> consumerSubscription(String protocol) {
        byte[] metadata = metadata(protocol);
        if (metadata == null) {
            return null;
        }
        try {
            // the consumer protocol's subscription: a version, then the message at that version
            ByteBuffer b = ByteBuffer.wrap(metadata);
            short version = (short) Math.min(b.getShort(), ConsumerProtocolSubscription.HIGHEST_SUPPORTED_VERSION);
            return new ConsumerProtocolSubscription(new ByteBufferAccessor(b), version).topics();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The member as its group's record stores it: its metadata for the group's {@code protocol}, and {@code assignment}. */
    GroupRecords.MemberValue toRecord(String protocol, byte[] assignment) {
        byte[] subscription = protocol == null ? null : metadata(protocol);
        return new GroupRecords.MemberValue(memberId, instanceId, clientId, clientHost, rebalanceTimeoutMs, sessionTimeoutMs,
                subscription == null ? new byte[0] : subscription, assignment);
    }

    /** The member a group's record stores, supporting the group's {@code protocol} only (none if null). */
    static GroupMember fromRecord(GroupRecords.MemberValue v, String protocol) {
        List<Protocol> protocols = protocol == null ? List.of() : List.of(new Protocol(protocol, v.subscription()));
        GroupMember m = new GroupMember(v.memberId(), v.instanceId(), v.clientId(), v.clientHost(), v.rebalanceTimeoutMs(),
                v.sessionTimeoutMs(), protocols);
        m.assignment = v.assignment();
        return m;
    }

    /** The member joined again: it may come with other protocols, timeouts or client. */
    void update(List<Protocol> newProtocols, int newRebalanceTimeoutMs, int newSessionTimeoutMs, String newClientId,
            String newClientHost) {
        protocols = newProtocols;
        rebalanceTimeoutMs = newRebalanceTimeoutMs;
        sessionTimeoutMs = newSessionTimeoutMs;
        clientId = newClientId;
        clientHost = newClientHost;
    }

    /** Whether {@code other} lists the same protocols with the same metadata, in the same order. */
    boolean sameProtocols(List<Protocol> other) {
        if (other.size() != protocols.size()) {
            return false;
        }
        for (int i = 0; i < other.size(); i++) {
            Protocol a = protocols.get(i);
            Protocol b = other.get(i);
            if (!a.name().equals(b.name()) || !java.util.Arrays.equals(a.metadata(), b.metadata())) {
                return false;
            }
        }
        return true;
    }

    void cancelSessionTimer() {
        if (sessionTimer != null) {
            sessionTimer.cancel(false);
            sessionTimer = null;
        }
    }
}
