package io.chronik.raft.internal;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.ratis.rpc.RatisContext;

/**
 * Asks members of a Raft group whether they answer this node, over the node's Raft transport (the path Ratis' vote
 * requests take): a stale read (minimum index 0) of each member's own replica, one attempt. What is probed is the link,
 * not the member's state: any answer of the member's server counts, a refusal too ({@link NotLeaderException},
 * {@link LeaderNotReadyException}, {@link StateMachineException}); only a timeout or a failed connection does not. {@link DeadLeaderTakeover} asks before it starts an election
 * without pre-vote, so that a node that cannot reach a majority never starts one (it would raise its term in every
 * round without winning, and depose the leader the others elect once it can reach them again).
 *
 * <p>Threads: {@link #answering} blocks its caller up to the timeout (the node's scheduler); the probe clients are
 * closed on a short-lived thread of their own. Thread-safe.
 */
final class PeerProbe {
    private static final Logger LOG = LoggerFactory.getLogger(PeerProbe.class);

    private final Supplier<RaftProperties> properties;
    private final Supplier<Parameters> parameters;

    /** {@code properties} and {@code parameters}: the node's Ratis client settings, null before it started. */
    PeerProbe(Supplier<RaftProperties> properties, Supplier<Parameters> parameters) {
        this.properties = properties;
        this.parameters = parameters;
    }

    /**
     * Those of {@code peers} (members of {@code group}) that answer within {@code timeoutMs}, asked at once, one
     * attempt each. Empty before the node started; never throws.
     */
    Set<RaftPeerId> answering(RaftGroup group, Collection<RaftPeerId> peers, long timeoutMs) {
        RaftProperties base = properties.get();
        Parameters params = parameters.get();
        Set<RaftPeerId> answered = new HashSet<>();
        if (base == null || params == null || peers.isEmpty()) {
            return answered;
        }
        RaftProperties p = new RaftProperties(base);
        RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(timeoutMs, TimeUnit.MILLISECONDS));
        List<RaftClient> clients = new ArrayList<>();
        Map<RaftPeerId, CompletableFuture<RaftClientReply>> replies = new LinkedHashMap<>();
        try {
            for (RaftPeerId peer : peers) {
                RaftClient c = RatisContext.call(() -> RaftClient.newBuilder()
                        .setClientId(ClientId.randomId())
                        .setRaftGroup(group)
                        .setLeaderId(peer)
                        .setProperties(p)
                        .setParameters(params)
                        .setRetryPolicy(RetryPolicies.noRetry())
                        .build());
                clients.add(c);
                replies.put(peer, c.async().sendStaleRead(Message.EMPTY, 0, peer));
            }
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            for (Map.Entry<RaftPeerId, CompletableFuture<RaftClientReply>> reply : replies.entrySet()) {
                long left = Math.max(0, deadline - System.nanoTime());
                try {
                    RaftClientReply r = reply.getValue().get(left, TimeUnit.NANOSECONDS);
                    if (r.isSuccess() || answeredByServer(r.getException())) {
                        answered.add(reply.getKey());
                    }
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                    }
                    if (answeredByServer(e)) {
                        answered.add(reply.getKey());
                    } else {
                        LOG.debug("{} of {} did not answer: {}", reply.getKey(), group.getGroupId(), e.toString());
                    }
                }
            }
            return answered;
        } catch (Exception e) {
            LOG.debug("probing the members of {} failed: {}", group.getGroupId(), e.toString());
            return answered;
        } finally {
            closeLater(clients);
        }
    }

    /**
     * Closes the probe clients on a thread of their own: closing a gRPC client waits for its channel to terminate,
     * which took seconds here, and the caller is about to start an election.
     */
    private static void closeLater(List<RaftClient> clients) {
        if (clients.isEmpty()) {
            return;
        }
        Thread closer = new Thread(() -> {
            for (RaftClient c : clients) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.debug("closing a probe client failed", e);
                }
            }
        }, "chronik-peer-probe-close");
        closer.setDaemon(true);
        closer.start();
    }

    /** Whether {@code t} (or a cause) is a refusal that the member's server sent: the request got there and back. */
    static boolean answeredByServer(Throwable t) {
        for (int depth = 0; t != null && depth < 16; t = t.getCause(), depth++) {
            if (t instanceof NotLeaderException || t instanceof LeaderNotReadyException
                    || t instanceof StateMachineException) {
                return true;
            }
        }
        return false;
    }
}
