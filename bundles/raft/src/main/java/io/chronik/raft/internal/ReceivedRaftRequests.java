package io.chronik.raft.internal;

import java.util.concurrent.CompletableFuture;

import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;

/**
 * Counts the Raft requests other nodes send to this node's server, per group, into {@link RaftMetrics}: every
 * transport's server RPC hands them to the node's {@link RaftServer} through {@link StartingDivisionGuard}, which tells
 * this class about each request it passes on ({@link #received}) and about the answer ({@link #answered}). Counted:
 * AppendEntries requests (and those of them with no entries as heartbeats), RequestVote requests (pre-votes included),
 * and the client write entries of the AppendEntries requests answered with success (written to the log). Requests for a group the
 * server does not host are not counted. Thread-safe; never blocks, never throws.
 */
final class ReceivedRaftRequests {
    private final RaftMetrics metrics;

    ReceivedRaftRequests(RaftMetrics metrics) {
        this.metrics = metrics;
    }

    /** A request the guard hands to {@code server}. */
    void received(RaftServer server, Object request) {
        if (request instanceof AppendEntriesRequestProto append) {
            RaftMetrics.GroupCounters c = counters(server, append.getServerRequest());
            if (c != null) {
                c.appendEntries.increment();
                if (append.getEntriesCount() == 0) {
                    c.heartbeats.increment();
                }
            }
        } else if (request instanceof RequestVoteRequestProto vote) {
            RaftMetrics.GroupCounters c = counters(server, vote.getServerRequest());
            if (c != null) {
                c.voteRequests.increment();
            }
        }
    }

    /**
     * The server's answer to {@code request}: the reply, or a future of it. Returns nothing: a future is observed, not
     * replaced.
     */
    void answered(RaftServer server, Object request, Object answer) {
        if (!(request instanceof AppendEntriesRequestProto append) || append.getEntriesCount() == 0) {
            return;
        }
        if (answer instanceof AppendEntriesReplyProto reply) {
            accepted(server, append, reply);
        } else if (answer instanceof CompletableFuture<?> future) {
            future.whenComplete((reply, error) -> {
                if (reply instanceof AppendEntriesReplyProto r) {
                    accepted(server, append, r);
                }
            });
        }
    }

    private void accepted(RaftServer server, AppendEntriesRequestProto request, AppendEntriesReplyProto reply) {
        if (reply.getResult() != AppendEntriesReplyProto.AppendResult.SUCCESS) {
            return;
        }
        RaftMetrics.GroupCounters c = counters(server, request.getServerRequest());
        if (c != null) {
            c.logEntries.add(clientEntries(request));
        }
    }

    /**
     * The entries of {@code request} that carry a client write (a state machine entry), not one of Raft's own
     * (configuration entries, the commit index entries Ratis writes after commits): the leader counts only those too.
     */
    static int clientEntries(AppendEntriesRequestProto request) {
        int n = 0;
        for (LogEntryProto e : request.getEntriesList()) {
            if (e.hasStateMachineLogEntry()) {
                n++;
            }
        }
        return n;
    }

    private RaftMetrics.GroupCounters counters(RaftServer server, RaftRpcRequestProto rpc) {
        if (!rpc.hasRaftGroupId()) {
            return null;
        }
        try {
            return metrics.hostedGroup(RaftGroupId.valueOf(rpc.getRaftGroupId().getId()), server);
        } catch (RuntimeException e) {
            return null; // a malformed group id: Ratis answers the request itself
        }
    }
}
