package io.chronik.transport.memory.internal;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.Comparator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotReplyProto;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.rpc.CallId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppenderBase;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.util.Timestamp;

/**
 * The leader's sender to one follower on the memory transport: one append entries call at a time (synchronous, as
 * Ratis' default appender does), install snapshot by chunks when the follower is behind the leader's log.
 *
 * <p>It exists because Ratis 3.2's default appender trusts the {@code nextIndex} of a successful heartbeat reply,
 * which is the end of the <em>follower's</em> log: a follower holding entries of an old term beyond the heartbeat's
 * previous entry (a deposed leader, or a follower of it) made the leader believe those entries matched, so the leader
 * either never sent it its own entries (a new leader that never commits) or looped between two next indexes (a deposed
 * leader that never catches up); worse, a wrong match index counts towards commit. Here the match index is what the
 * request proves: the last entry it carried, or for a heartbeat its previous entry.
 *
 * <p>Runs on the appender's own thread (Ratis' {@code LogAppenderDaemon}).
 */
final class MemoryLogAppender extends LogAppenderBase {
    private int failures;

    MemoryLogAppender(RaftServer.Division server, LeaderState leaderState, FollowerInfo follower) {
        super(server, leaderState, follower);
    }

    @Override
    public long getCallId() {
        return CallId.get();
    }

    @Override
    public Comparator<Long> getCallIdComparator() {
        return CallId.getComparator();
    }

    @Override
    public void run() throws InterruptedException, IOException {
        while (isRunning()) {
            if (shouldSendAppendEntries()) {
                SnapshotInfo snapshot = shouldInstallSnapshot();
                if (snapshot != null) {
                    installSnapshot(snapshot);
                } else {
                    appendOnce();
                }
            }
            if (isRunning() && !hasAppendEntries()) {
                getEventAwaitForSignal().await(getHeartbeatWaitTimeMs(), TimeUnit.MILLISECONDS);
            }
            getLeaderState().checkHealth(getFollower());
        }
    }

    private void appendOnce() throws InterruptedException, IOException {
        AppendEntriesRequestProto request = newAppendEntriesRequest(CallId.getAndIncrement(), false);
        if (request == null || !isRunning()) {
            return; // nothing to send now
        }
        resetHeartbeatTrigger();
        Timestamp sent = Timestamp.currentTime();
        getFollower().updateLastRpcSendTime(request.getEntriesCount() == 0);
        AppendEntriesReplyProto reply;
        try {
            reply = getServerRpc().appendEntries(request);
        } catch (InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            if (failures++ % 10 == 0) {
                LOG.warn("{}: append entries failed ({} failures in a row): {}", this, failures, e.toString());
            }
            getServerRpc().handleException(getFollowerId(), e, false);
            getServer().properties().rpcSleepTime().sleep();
            return;
        }
        failures = 0;
        getFollower().updateLastRpcResponseTime();
        getFollower().updateLastRespondedAppendEntriesSendTime(sent);
        getLeaderState().onFollowerCommitIndex(getFollower(), reply.getFollowerCommit());
        onReply(request, reply);
    }

    private void onReply(AppendEntriesRequestProto request, AppendEntriesReplyProto reply) {
        int n = request.getEntriesCount();
        switch (reply.getResult()) {
            case SUCCESS:
                // what the request proves: the follower's log matches the leader's up to its last entry, or for a
                // heartbeat up to its previous entry (a heartbeat without one proves nothing)
                long matched = n > 0 ? request.getEntries(n - 1).getIndex()
                        : request.hasPreviousLog() ? request.getPreviousLog().getIndex() : RaftLog.INVALID_LOG_INDEX;
                if (matched != RaftLog.INVALID_LOG_INDEX) {
                    boolean advanced = getFollower().updateMatchIndex(matched);
                    if (matched + 1 > getFollower().getNextIndex()) {
                        getFollower().increaseNextIndex(matched + 1);
                        advanced = true;
                    }
                    if (advanced) {
                        getLeaderState().onFollowerSuccessAppendEntries(getFollower());
                    }
                }
                break;
            case NOT_LEADER:
                onFollowerTerm(reply.getTerm());
                break;
            case INCONSISTENCY:
                long first = n > 0 ? request.getEntries(0).getIndex() : RaftLog.INVALID_LOG_INDEX;
                getFollower().setNextIndex(getNextIndexForInconsistency(first, reply.getNextIndex()));
                break;
            default:
                LOG.warn("{}: unexpected append entries result {}", this, reply.getResult());
        }
        getLeaderState().onAppendEntriesReply(this, reply);
    }

    private void installSnapshot(SnapshotInfo snapshot) throws InterruptedIOException {
        InstallSnapshotReplyProto reply = null;
        try {
            for (InstallSnapshotRequestProto request : newInstallSnapshotRequests(UUID.randomUUID().toString(), snapshot)) {
                getFollower().updateLastRpcSendTime(false);
                reply = getServerRpc().installSnapshot(request);
                getFollower().updateLastRpcResponseTime();
                if (!reply.getServerReply().getSuccess()) {
                    break;
                }
            }
        } catch (InterruptedIOException e) {
            throw e;
        } catch (Exception e) {
            LOG.warn("{}: installing snapshot {} failed: {}", this, snapshot, e.toString());
            getServerRpc().handleException(getFollowerId(), e, false);
            return;
        }
        if (reply == null) {
            return;
        }
        if (reply.getServerReply().getSuccess()) {
            getFollower().setSnapshotIndex(snapshot.getTermIndex().getIndex());
            LOG.info("{}: installed snapshot {}", this, snapshot);
        }
        switch (reply.getResult()) {
            case NOT_LEADER:
                onFollowerTerm(reply.getTerm());
                break;
            case SUCCESS:
            case SNAPSHOT_UNAVAILABLE:
            case ALREADY_INSTALLED:
            case SNAPSHOT_EXPIRED:
                getFollower().setAttemptedToInstallSnapshot();
                break;
            default:
                break;
        }
    }
}
