package io.chronik.raft.internal;

import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.ratis.rpc.TransportObserver.Kind;
import io.chronik.testing.RecordingMetricSink;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Three nodes in one JVM on the real gRPC transport report their Raft traffic: the data leader's appends to each
 * follower (requests, bytes, latency) and the followers' side of them, the votes of the elections, the followers'
 * ReadIndex requests, and the connections each server accepted from its peers; the followers' Raft metrics count the
 * appends on gRPC as on the memory transport ({@link RaftMetricsIT}).
 */
public class TransportMetricsIT {
    private static final String GRPC = "grpc";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void theGrpcTransportReportsAppendsVotesReadIndexAndConnectionsByPeer() throws Exception {
        TestNodes.startCluster(tmp, 3, s -> s, GrpcRaftTransport::new, nodes);
        long registered = System.currentTimeMillis() + 60_000; // registered and unfenced
        while (nodes.stream().anyMatch(n -> n.metadataState().liveBrokers().size() < 3)
                && System.currentTimeMillis() < registered) {
            Thread.sleep(20);
        }
        nodes.get(0).metadata().createTopic("traffic", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ChronikNode leaderNode = null;
        PartitionReplica leader = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (leader == null && System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica("traffic", 0);
                if (r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    leader = r;
                    leaderNode = n;
                }
            }
            Thread.sleep(20);
        }
        assertNotNull("no leader elected", leader);
        String leaderPeer = leaderNode.peerId().toString();
        TransportMetrics leaderMetrics = leaderNode.transportMetrics();
        long[] before = new long[4];
        for (ChronikNode f : followers(leaderNode)) {
            before[f.settings().nodeId()] = leaderMetrics.counts(GRPC, f.peerId().toString(), Kind.APPEND)[1];
        }
        for (int i = 0; i < 20; i++) {
            leader.append(TestNodes.batch("record-" + i + "-" + "x".repeat(1000))).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS);
        }
        for (ChronikNode f : followers(leaderNode)) {
            f.replicas().log("traffic", 0).orElseThrow().readBarrier().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }

        for (ChronikNode f : followers(leaderNode)) {
            String peer = f.peerId().toString();
            // the leader sent appends to the follower, with the 20 records' 20 kB among their bytes, and had replies
            long[] sent = leaderMetrics.counts(GRPC, peer, Kind.APPEND);
            assertTrue("appends to " + peer + ": " + java.util.Arrays.toString(sent), sent[0] > 0);
            assertTrue("append bytes to " + peer + ": " + (sent[1] - before[f.settings().nodeId()]),
                    sent[1] - before[f.settings().nodeId()] > 20 * 1000);
            assertTrue("append replies from " + peer, sent[2] > 0 && sent[3] > 0 && sent[4] > 0);
            Map<String, Double> s = RecordingMetricSink.collect(leaderMetrics);
            String labels = "{node_id=\"" + leaderNode.settings().nodeId() + "\",transport=\"grpc\",peer=\"" + peer
                    + "\",kind=\"append\"}";
            // heartbeats go on between the two reads: the exposition shows at least what was counted before
            Double exposed = s.get("chronik_raft_transport_messages_sent_total" + labels);
            assertTrue("exposed " + exposed + " appends sent, counted " + sent[0], exposed != null && exposed >= sent[0]);
            Double latencies = s.get("chronik_raft_transport_rpc_duration_seconds_count" + labels);
            assertTrue("append latencies to " + peer + ": " + latencies, latencies != null && latencies > 0);
            assertTrue(s.get("chronik_raft_transport_rpc_duration_seconds_sum" + labels) > 0);

            // the follower received them from the leader (its server's interceptor) and answered each
            long[] got = f.transportMetrics().counts(GRPC, leaderPeer, Kind.APPEND);
            assertTrue("appends from the leader on " + peer + ": " + java.util.Arrays.toString(got),
                    got[2] > 0 && got[3] > 20 * 1000);
            assertTrue("append replies from " + peer, got[0] > 0 && got[1] > 0);
            // its ReadIndex barrier asked the leader
            long[] readIndex = f.transportMetrics().counts(GRPC, leaderPeer, Kind.READ_INDEX);
            assertTrue("read index from " + peer + ": " + java.util.Arrays.toString(readIndex),
                    readIndex[0] > 0 && readIndex[1] > 0 && readIndex[2] > 0 && readIndex[4] > 0);
            assertTrue("the leader received it", leaderMetrics.counts(GRPC, peer, Kind.READ_INDEX)[2] > 0);
            // and its server accepted the leader's connection
            assertTrue("connections from the leader on " + peer, f.transportMetrics().connections(GRPC, leaderPeer) > 0);
            // the node's Raft metrics counted the same appends where the gRPC server handed them to the Raft server
            Map<String, Double> raft = RecordingMetricSink.collect(f.raftMetrics());
            String group = "{node_id=\"" + f.settings().nodeId() + "\",group=\"" + leader.group().groupNo() + "\"}";
            assertTrue("Raft appends on " + peer + ": " + raft, raft.get("chronik_raft_append_entries_total" + group) > 0);
            assertTrue("Raft log entries on " + peer + ": " + raft, raft.get("chronik_raft_log_entries_total" + group) >= 20);
        }

        // the elections (metadata group, data group) asked for votes: sent by a candidate, received by the others
        long votesSent = 0;
        long votesReceived = 0;
        long votesCompleted = 0;
        long connections = 0;
        for (ChronikNode n : nodes) {
            for (ChronikNode other : nodes) {
                if (other != n) {
                    long[] votes = n.transportMetrics().counts(GRPC, other.peerId().toString(), Kind.VOTE);
                    votesSent += votes[0];
                    votesReceived += votes[2];
                    votesCompleted += votes[4];
                    assertTrue("vote bytes", votes[0] == 0 || votes[1] > 0);
                    connections += n.transportMetrics().connections(GRPC, other.peerId().toString());
                }
            }
        }
        assertTrue("votes sent: " + votesSent, votesSent > 0);
        assertTrue("votes received: " + votesReceived, votesReceived > 0);
        assertTrue("votes completed: " + votesCompleted, votesCompleted > 0);
        assertTrue("connections: " + connections, connections >= 2);
    }

    private List<ChronikNode> followers(ChronikNode leader) {
        return nodes.stream().filter(n -> n != leader).toList();
    }
}
