package io.chronik.raft.internal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.TransferLeadershipRequest;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a graceful stop, hands every Raft group this node leads (the metadata group and its data groups) to a follower
 * first, through Ratis' leadership transfer: the leader stops taking writes, waits until the chosen follower's log
 * matches its own, and tells it to start an election, which it wins at once. The group's writes then pause for the
 * transfer (milliseconds on a healthy cluster) instead of an election timeout plus an election after the leader
 * disappears. The follower chosen is the one with the highest match index among those that answered within the
 * minimum election timeout (two heartbeat intervals); a group is not handed over unless such followers and the
 * leader make a majority of its members (nobody could win). Transfers of all groups run in parallel and are awaited
 * at most {@code budgetMs}; a group whose transfer fails or does not finish in time elects a leader the usual way
 * once this node is gone.
 *
 * <p>Blocks the calling thread (the node's stop) for at most {@code budgetMs}; never throws.
 */
final class LeadershipHandover {
    private static final Logger LOG = LoggerFactory.getLogger(LeadershipHandover.class);

    private LeadershipHandover() {
    }

    /** Hands over what {@code server} leads; returns how many groups were handed over. */
    static int handOver(RaftServer server, long electionTimeoutMinMs, long budgetMs) {
        long start = System.nanoTime();
        List<CompletableFuture<RaftClientReply>> transfers = new ArrayList<>();
        Iterable<RaftGroupId> groupIds;
        try {
            groupIds = server.getGroupIds();
        } catch (RuntimeException e) {
            return 0;
        }
        for (RaftGroupId groupId : groupIds) {
            RaftServer.Division d;
            try {
                d = server.getDivision(groupId);
            } catch (IOException e) {
                continue;
            }
            RaftPeerId target = successor(d.getInfo(), electionTimeoutMinMs);
            if (target == null) {
                continue; // not leading, or no follower to hand to (a single replica)
            }
            try {
                transfers.add(server.transferLeadershipAsync(new TransferLeadershipRequest(ClientId.randomId(),
                        server.getId(), groupId, 0, target, budgetMs)));
            } catch (IOException | RuntimeException e) {
                LOG.debug("handing {} over to {} failed: {}", groupId, target, e.toString());
            }
        }
        if (transfers.isEmpty()) {
            return 0;
        }
        int handedOver = 0;
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(budgetMs);
        for (CompletableFuture<RaftClientReply> t : transfers) {
            try {
                RaftClientReply reply = t.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (reply.isSuccess()) {
                    handedOver++;
                }
            } catch (ExecutionException | TimeoutException e) {
                // that group elects the usual way
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        LOG.info("handed {} of {} led Raft groups over to followers in {} ms", handedOver, transfers.size(),
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return handedOver;
    }

    /**
     * The follower to hand the leadership of a division to: the one with the highest match index among those heard
     * from within {@code freshMs}; null if the division does not lead, or if those followers and the leader are not
     * a majority of the division's members.
     */
    static RaftPeerId successor(DivisionInfo info, long freshMs) {
        if (!info.isLeader() || !info.isLeaderReady()) {
            return null;
        }
        var followers = info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
        long[] match = info.getFollowerMatchIndices(); // from the same log appenders, in the same order
        RaftPeerId best = null;
        long bestMatch = Long.MIN_VALUE;
        int fresh = 0;
        for (int i = 0; i < followers.size(); i++) {
            var f = followers.get(i);
            if (f.getLastRpcElapsedTimeMs() > freshMs) {
                continue;
            }
            fresh++;
            long m = match.length == followers.size() ? match[i] : 0;
            if (m > bestMatch) {
                best = RaftPeerId.valueOf(f.getId().getId());
                bestMatch = m;
            }
        }
        return 2 * (fresh + 1) > followers.size() + 1 ? best : null;
    }
}
