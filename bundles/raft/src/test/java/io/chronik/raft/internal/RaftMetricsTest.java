package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.ratis.proto.RaftProtos.AppendEntriesReplyProto;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.MetadataProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.StateMachineLogEntryProto;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.proto.RaftProtos.RaftGroupIdProto;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.RequestVoteRequestProto;
import org.apache.ratis.protocol.RaftGroupId;
import org.junit.Test;

import io.chronik.testing.RecordingMetricSink;

/**
 * The counting pieces of the Raft metrics: {@link ReceivedRaftRequests} classifying real Ratis request protos
 * (appends, heartbeats, votes and pre-votes, the client entries of accepted appends only), and {@link RaftMetrics}' own counters
 * (elections, leader appends, ISR shrinks and expansions, append latency) and their exposition without a server.
 */
public class RaftMetricsTest {
    private static final RaftGroupId GROUP = Ids.dataGroup(7);

    /** Counters of {@link #GROUP}, which is taken as hosted (the tests have no server: created up front). */
    private final RaftMetrics metrics = new RaftMetrics(3, () -> null, id -> id.equals(GROUP) ? "7" : null);
    private final ReceivedRaftRequests requests = new ReceivedRaftRequests(metrics);

    private static RaftRpcRequestProto rpc(RaftGroupId group) {
        return RaftRpcRequestProto.newBuilder()
                .setRaftGroupId(RaftGroupIdProto.newBuilder().setId(group.toByteString()))
                .build();
    }

    private static AppendEntriesRequestProto append(RaftGroupId group, int entries) {
        AppendEntriesRequestProto.Builder b = AppendEntriesRequestProto.newBuilder().setServerRequest(rpc(group));
        for (int i = 0; i < entries; i++) {
            b.addEntries(LogEntryProto.newBuilder().setTerm(1).setIndex(i + 1)
                    .setStateMachineLogEntry(StateMachineLogEntryProto.newBuilder().setLogData(ByteString.copyFromUtf8("w"))));
        }
        // Raft's own entries, written too but not counted: a commit index entry and a configuration entry
        if (entries > 0) {
            b.addEntries(LogEntryProto.newBuilder().setTerm(1).setIndex(entries + 1)
                    .setMetadataEntry(MetadataProto.newBuilder().setCommitIndex(entries)));
            b.addEntries(LogEntryProto.newBuilder().setTerm(1).setIndex(entries + 2)
                    .setConfigurationEntry(RaftConfigurationProto.getDefaultInstance()));
        }
        return b.build();
    }

    private static AppendEntriesReplyProto reply(AppendEntriesReplyProto.AppendResult result) {
        return AppendEntriesReplyProto.newBuilder().setResult(result).build();
    }

    @Test
    public void appendsHeartbeatsAndVotesAreCountedPerGroupAndAcceptedEntriesOnly() {
        metrics.group(GROUP);
        AppendEntriesRequestProto heartbeat = append(GROUP, 0);
        AppendEntriesRequestProto three = append(GROUP, 3);
        requests.received(null, heartbeat);
        requests.answered(null, heartbeat, reply(AppendEntriesReplyProto.AppendResult.SUCCESS));
        requests.received(null, three);
        requests.answered(null, three, reply(AppendEntriesReplyProto.AppendResult.SUCCESS));
        // an inconsistent follower refuses the entries: received, not written
        requests.received(null, three);
        requests.answered(null, three, reply(AppendEntriesReplyProto.AppendResult.INCONSISTENCY));
        // an asynchronous answer counts once it completes with success
        CompletableFuture<AppendEntriesReplyProto> later = new CompletableFuture<>();
        requests.received(null, three);
        requests.answered(null, three, later);
        RaftMetrics.GroupCounters c = metrics.counters(GROUP);
        assertEquals(3, c.logEntries.sum());
        later.complete(reply(AppendEntriesReplyProto.AppendResult.SUCCESS));
        assertEquals(6, c.logEntries.sum());
        CompletableFuture<AppendEntriesReplyProto> failed = new CompletableFuture<>();
        requests.answered(null, three, failed);
        failed.completeExceptionally(new java.io.IOException("gone"));

        requests.received(null, RequestVoteRequestProto.newBuilder().setServerRequest(rpc(GROUP)).setPreVote(true).build());
        requests.received(null, RequestVoteRequestProto.newBuilder().setServerRequest(rpc(GROUP)).build());
        requests.received(null, "not a request");

        assertEquals(4, c.appendEntries.sum());
        assertEquals(1, c.heartbeats.sum());
        assertEquals(2, c.voteRequests.sum());
        assertEquals(6, c.logEntries.sum());
    }

    @Test
    public void requestsForGroupsNotHostedAreNotCounted() {
        RaftGroupId other = Ids.dataGroup(8);
        requests.received(null, append(other, 2)); // no server: hosts nothing
        requests.received(null, RequestVoteRequestProto.newBuilder().setServerRequest(rpc(other)).build());
        requests.received(null, AppendEntriesRequestProto.newBuilder()
                .setServerRequest(RaftRpcRequestProto.getDefaultInstance()).build()); // no group id
        assertNull(metrics.counters(other));
        assertNull(metrics.hostedGroup(other, null));
    }

    @Test
    public void electionsAndLeaderAppendsAreCountedWithoutAServer() {
        metrics.leaderChanged(GROUP);
        metrics.leaderChanged(GROUP);
        metrics.leaderAppended(GROUP);
        metrics.leaderChanged(Ids.METADATA_GROUP);
        assertEquals(2, metrics.counters(GROUP).elections.sum());
        assertEquals(1, metrics.counters(GROUP).logEntries.sum());
        assertEquals(1, metrics.counters(Ids.METADATA_GROUP).elections.sum());
        assertSame(metrics.counters(GROUP), metrics.hostedGroup(GROUP, null)); // known once counted
    }

    @Test
    public void isrShrinksAndExpandsCompareWithTheAppliedIsr() {
        metrics.isrPublished(null, List.of(1, 2, 3)); // the group's first ISR
        assertEquals(0, metrics.isrShrinks());
        assertEquals(0, metrics.isrExpands());
        metrics.isrPublished(List.of(1, 2, 3), List.of(1, 2));
        metrics.isrPublished(List.of(1, 2), List.of(1, 2, 3));
        metrics.isrPublished(List.of(1, 2, 3), List.of(3, 1, 2)); // same members: a new term republishes it
        metrics.isrPublished(List.of(1, 2), List.of(1, 3)); // 2 left, 3 joined
        assertEquals(2, metrics.isrShrinks());
        assertEquals(2, metrics.isrExpands());
    }

    @Test
    public void theExpositionHasTheNodeLevelSeriesAndTheAppendLatency() {
        AtomicLong clock = new AtomicLong(1_000_000);
        RaftMetrics m = new RaftMetrics(3, () -> null, id -> null, clock::get);
        long start = m.appendStarted();
        clock.addAndGet(2_000_000); // 2 ms
        m.appendCommitted(start);
        m.isrPublished(List.of(1, 2, 3), List.of(1, 3));
        Map<String, Double> s = RecordingMetricSink.collect(m);
        assertEquals(1.0, s.get("chronik_partition_isr_shrinks_total{node_id=\"3\"}"), 0);
        assertEquals(0.0, s.get("chronik_partition_isr_expands_total{node_id=\"3\"}"), 0);
        assertEquals(1.0, s.get("chronik_raft_append_duration_seconds_count{node_id=\"3\"}"), 0);
        assertEquals(0.002, s.get("chronik_raft_append_duration_seconds_sum{node_id=\"3\"}"), 1e-9);
        assertEquals(1.0, s.get("chronik_raft_append_duration_seconds_bucket{node_id=\"3\",le=\"0.0025\"}"), 0);
        assertEquals(0.0, s.get("chronik_raft_append_duration_seconds_bucket{node_id=\"3\",le=\"0.001\"}"), 0);
        // no server: no group series
        assertFalse(s.keySet().stream().anyMatch(k -> k.contains("group=")));
        assertTrue(s.size() > 3);
    }
}
