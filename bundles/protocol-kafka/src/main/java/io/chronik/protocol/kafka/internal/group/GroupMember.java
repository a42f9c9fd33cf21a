package io.chronik.protocol.kafka.internal.group;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;

/** A member of a classic group. Guarded by its group's monitor. */
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
