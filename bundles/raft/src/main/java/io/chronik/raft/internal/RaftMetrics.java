package io.chronik.raft.internal;

import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.util.LifeCycle;

import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.metrics.recorder.DurationHistogram;

/**
 * The Raft state and activity of one node's groups (the metadata group and its data groups), as a {@link MetricSource}
 * labelled {@code node_id} and, per group, {@code group} (the data group's number, or {@code metadata}).
 *
 * <p>Counters, per group, counted since the node (its Ratis server) started:
 * <ul>
 * <li>{@code chronik_raft_append_entries_total}: AppendEntries requests this node received for the group (from its
 * leader), heartbeats included, counted by {@link ReceivedRaftRequests} whatever the transport;</li>
 * <li>{@code chronik_raft_heartbeats_total}: those of them carrying no entries (heartbeats, and the empty probes a
 * leader sends to find where a follower's log ends);</li>
 * <li>{@code chronik_raft_vote_requests_total}: RequestVote requests this node received for the group from candidates,
 * pre-votes included (Ratis runs a pre-vote round before each election);</li>
 * <li>{@code chronik_raft_leader_elections_total}: leader changes this node observed in the group: each time it learned
 * of a new leader (itself included), as Ratis tells the group's state machine ({@code notifyLeaderChanged}); the first
 * leader after start counts too. A node that misses a term (down, cut off) counts one change for it;</li>
 * <li>{@code chronik_raft_log_entries_total}: client write entries (produce batches, partition operations, metadata
 * commands) this node wrote to the group's Raft log: as leader, those it appended ({@code preAppendTransaction}); as
 * follower, those of the AppendEntries requests it accepted (the reply says success; entries a leader sends again
 * after a lost reply count again). Raft's own entries are not counted, on either side: a new leader's first entry of
 * its term and configuration changes, and the commit index entries Ratis writes after commits (about one per write
 * under light load, so the Raft index grows about twice as fast as this counter).</li>
 * </ul>
 * Gauges, per group, read from the division at scrape time: {@code chronik_raft_current_term},
 * {@code chronik_raft_commit_index}, {@code chronik_raft_applied_index}, {@code chronik_raft_leader} (1 if this node
 * leads the group, else 0), and on a leader {@code chronik_raft_follower_lag_entries} with the label {@code peer} (the
 * follower's node id): how many entries the follower's log lacks of the leader's (the leader's last index minus the
 * follower's match index).
 *
 * <p>Per node: {@code chronik_raft_append_duration_seconds}, a histogram of the time from a partition write (one Raft
 * entry carrying produce requests, {@link GroupAppender}) submitted to the group's leader until it was committed and
 * applied there (successful ones only; 0.5 ms to 5 s buckets); {@code chronik_partition_isr_shrinks_total} and
 * {@code chronik_partition_isr_expands_total}: ISR changes this node, as a data group's leader, published to the
 * metadata (a replica left, a replica joined; a change doing both counts for both; see {@link Liveness}).
 *
 * <p>Groups come and go (moves, retirements): the series of a group are written only while the group's division is
 * on the server, and its counters are dropped at the first scrape after it left.
 *
 * <p><b>Threads.</b> Thread-safe. The counting methods never block (they run on Ratis' and the transports' threads);
 * {@link #collect} reads counters and the divisions' in-memory state and does no I/O; the only lock it takes is a
 * leader's log read lock, for a moment, to read the last index (as every reader of the log does).
 */
final class RaftMetrics implements MetricSource {
    static final String METADATA = "metadata";

    /** The counters of one group. */
    static final class GroupCounters {
        final LongAdder appendEntries = new LongAdder();
        final LongAdder heartbeats = new LongAdder();
        final LongAdder voteRequests = new LongAdder();
        final LongAdder logEntries = new LongAdder();
        final LongAdder elections = new LongAdder();
    }

    private static final GroupCounters NONE = new GroupCounters();

    private final String nodeId;
    private final Supplier<RaftServer> server;
    private final Function<RaftGroupId, String> labels;
    private final LongSupplier nanoClock;
    private final Map<RaftGroupId, GroupCounters> groups = new ConcurrentHashMap<>();
    private final LongAdder isrShrinks = new LongAdder();
    private final LongAdder isrExpands = new LongAdder();
    private final DurationHistogram appendDuration = DurationHistogram.latency();

    /**
     * @param server the node's running server, or null while there is none
     * @param labels the {@code group} label of a group, or null while it is not known (its series are then left out)
     */
    RaftMetrics(int nodeId, Supplier<RaftServer> server, Function<RaftGroupId, String> labels) {
        this(nodeId, server, labels, System::nanoTime);
    }

    /** @param nanoClock a {@link System#nanoTime()}-like clock, for tests */
    RaftMetrics(int nodeId, Supplier<RaftServer> server, Function<RaftGroupId, String> labels, LongSupplier nanoClock) {
        this.nodeId = Integer.toString(nodeId);
        this.server = server;
        this.labels = labels;
        this.nanoClock = nanoClock;
    }

    /** The counters of {@code group}, created if new. */
    GroupCounters group(RaftGroupId group) {
        GroupCounters c = groups.get(group);
        return c != null ? c : groups.computeIfAbsent(group, g -> new GroupCounters());
    }

    /**
     * The counters of {@code group} if {@code on} has the group's division (a request for a group it does not host is
     * answered by Ratis with an error and not counted, so that no counters of unknown groups pile up), else null.
     */
    GroupCounters hostedGroup(RaftGroupId group, RaftServer on) {
        GroupCounters c = groups.get(group);
        if (c != null) {
            return c;
        }
        try {
            if (on == null || !hosts(on, group)) {
                return null;
            }
        } catch (RuntimeException e) {
            return null;
        }
        return group(group);
    }

    private static boolean hosts(RaftServer server, RaftGroupId group) {
        for (RaftGroupId id : server.getGroupIds()) {
            if (id.equals(group)) {
                return true;
            }
        }
        return false;
    }

    /** Ratis told the group's state machine of a new leader. */
    void leaderChanged(RaftGroupId group) {
        group(group).elections.increment();
    }

    /** This node, the group's leader, appends a client write entry to its log. */
    void leaderAppended(RaftGroupId group) {
        group(group).logEntries.increment();
    }

    /** @return the start time of a partition write, to give to {@link #appendCommitted} */
    long appendStarted() {
        return nanoClock.getAsLong();
    }

    /** A partition write started at {@code startNanos} was committed and applied on the leader. */
    void appendCommitted(long startNanos) {
        appendDuration.record(nanoClock.getAsLong() - startNanos);
    }

    /** This node, a data group's leader, published the ISR {@code after} where the metadata had {@code before}. */
    void isrPublished(List<Integer> before, List<Integer> after) {
        if (before == null || after == null) {
            return; // the first ISR of a group: nothing shrank or expanded
        }
        if (!after.containsAll(before)) {
            isrShrinks.increment();
        }
        if (!before.containsAll(after)) {
            isrExpands.increment();
        }
    }

    /** The counters of {@code group}, or null if none were counted. */
    GroupCounters counters(RaftGroupId group) {
        return groups.get(group);
    }

    long isrShrinks() {
        return isrShrinks.sum();
    }

    long isrExpands() {
        return isrExpands.sum();
    }

    DurationHistogram appendDuration() {
        return appendDuration;
    }

    @Override
    public void collect(MetricSink sink) {
        MetricSink.Family elections = sink.family("chronik_raft_leader_elections",
                "Leader changes this node observed in the group (a new leader learned of, itself included)",
                MetricSink.Type.COUNTER, "node_id", "group");
        MetricSink.Family appendEntries = sink.family("chronik_raft_append_entries",
                "AppendEntries requests this node received for the group, heartbeats included", MetricSink.Type.COUNTER,
                "node_id", "group");
        MetricSink.Family heartbeats = sink.family("chronik_raft_heartbeats",
                "AppendEntries requests this node received for the group carrying no entries", MetricSink.Type.COUNTER,
                "node_id", "group");
        MetricSink.Family votes = sink.family("chronik_raft_vote_requests",
                "RequestVote requests this node received for the group, pre-votes included", MetricSink.Type.COUNTER,
                "node_id", "group");
        MetricSink.Family logEntries = sink.family("chronik_raft_log_entries",
                "Client write entries this node wrote to the group's Raft log (appended as leader, accepted as follower)",
                MetricSink.Type.COUNTER, "node_id", "group");
        MetricSink.Family term = sink.family("chronik_raft_current_term", "The group's current Raft term on this node",
                MetricSink.Type.GAUGE, "node_id", "group");
        MetricSink.Family commit = sink.family("chronik_raft_commit_index", "The group's commit index on this node",
                MetricSink.Type.GAUGE, "node_id", "group");
        MetricSink.Family applied = sink.family("chronik_raft_applied_index",
                "The group's last index applied to the state machine on this node", MetricSink.Type.GAUGE, "node_id",
                "group");
        MetricSink.Family leader = sink.family("chronik_raft_leader", "1 if this node leads the group, else 0",
                MetricSink.Type.GAUGE, "node_id", "group");
        MetricSink.Family lag = sink.family("chronik_raft_follower_lag_entries",
                "On the group's leader: entries of its log the follower's log lacks", MetricSink.Type.GAUGE, "node_id",
                "group", "peer");
        sink.family("chronik_partition_isr_shrinks", "ISR shrinks this node published as a data group's leader",
                MetricSink.Type.COUNTER, "node_id").sample(isrShrinks.sum(), nodeId);
        sink.family("chronik_partition_isr_expands", "ISR expansions this node published as a data group's leader",
                MetricSink.Type.COUNTER, "node_id").sample(isrExpands.sum(), nodeId);
        appendDuration.writeTo(sink.histogram("chronik_raft_append_duration_seconds",
                "Time from a partition write submitted to the group's leader until committed and applied there",
                appendDuration.upperBoundsSeconds(), "node_id"), nodeId);

        RaftServer s = server.get();
        if (s == null) {
            return;
        }
        Set<RaftGroupId> hosted = new HashSet<>();
        s.getGroupIds().forEach(hosted::add);
        groups.keySet().retainAll(hosted); // groups that left the server (moved away, retired)
        for (RaftGroupId id : hosted) {
            String group = labels.apply(id);
            if (group == null) {
                continue;
            }
            GroupCounters c = groups.getOrDefault(id, NONE);
            elections.sample(c.elections.sum(), nodeId, group);
            appendEntries.sample(c.appendEntries.sum(), nodeId, group);
            heartbeats.sample(c.heartbeats.sum(), nodeId, group);
            votes.sample(c.voteRequests.sum(), nodeId, group);
            logEntries.sample(c.logEntries.sum(), nodeId, group);
            RaftServer.Division d = runningDivision(s, id);
            if (d == null) {
                continue;
            }
            DivisionInfo info = d.getInfo();
            RaftLog log = d.getRaftLog();
            term.sample(info.getCurrentTerm(), nodeId, group);
            commit.sample(log.getLastCommittedIndex(), nodeId, group);
            applied.sample(info.getLastAppliedIndex(), nodeId, group);
            boolean leads = info.isLeader();
            leader.sample(leads ? 1 : 0, nodeId, group);
            if (leads) {
                writeLag(lag, group, info, log);
            }
        }
    }

    /** The division of {@code id} if it is running (its log open), else null. */
    private static RaftServer.Division runningDivision(RaftServer s, RaftGroupId id) {
        try {
            RaftServer.Division d = s.getDivision(id);
            return d.getInfo().getLifeCycleState() == LifeCycle.State.RUNNING ? d : null;
        } catch (IOException | RuntimeException e) {
            return null; // removed meanwhile
        }
    }

    /** The lag of each follower, as {@link DataGroup#inSyncReplicas} reads the leader's follower information. */
    private void writeLag(MetricSink.Family lag, String group, DivisionInfo info, RaftLog log) {
        TermIndex last = log.getLastEntryTermIndex();
        long lastIndex = last == null ? -1 : last.getIndex();
        var followers = info.getRoleInfoProto().getLeaderInfo().getFollowerInfoList();
        long[] match = info.getFollowerMatchIndices();
        if (match.length != followers.size()) {
            return; // the membership changed between the two reads: next scrape
        }
        for (int i = 0; i < match.length; i++) {
            RaftPeerId peer = RaftPeerId.valueOf(followers.get(i).getId().getId());
            int peerNode = Ids.nodeId(peer);
            lag.sample(Math.max(0, lastIndex - match[i]), nodeId, group,
                    peerNode >= 0 ? Integer.toString(peerNode) : peer.toString());
        }
    }
}
