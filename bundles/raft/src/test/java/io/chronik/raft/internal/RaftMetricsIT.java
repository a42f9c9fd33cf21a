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

import io.chronik.testing.RecordingMetricSink;
import io.chronik.transport.memory.MemoryNetwork;
import io.chronik.transport.memory.internal.MemoryRaftTransport;

/**
 * Three {@link ChronikNode}s in one JVM (memory transport) export the Raft metrics of their groups: every node the
 * seven families with its node id, per group a term, a commit index, one leader among the nodes, followers counting
 * appends and heartbeats, the leader the lag of its followers and the latency of the writes; after the data group's
 * leader is killed, the survivors observe a new election and the new leader shrinks the ISR.
 */
public class RaftMetricsIT {
    private static final String TOPIC = "raft-metrics";
    private static final List<String> FAMILIES = List.of("chronik_raft_leader_elections_total",
            "chronik_raft_append_entries_total", "chronik_raft_vote_requests_total", "chronik_raft_heartbeats_total",
            "chronik_raft_log_entries_total", "chronik_raft_current_term", "chronik_raft_commit_index",
            "chronik_raft_applied_index", "chronik_raft_leader");

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();
    private final MemoryNetwork network = MemoryNetwork.shared();

    @After
    public void stop() {
        network.heal();
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void everyNodeExportsItsGroupsRaftStateAndTheSurvivorsCountTheElectionAfterTheLeaderDies() throws Exception {
        TestNodes.startCluster(tmp, 3, s -> s, MemoryRaftTransport::new, nodes);
        nodes.forEach(n -> n.snapshotOnStop = false); // the leader is killed, not stopped
        await("three live brokers", () -> nodes.stream().allMatch(n -> n.metadataState().liveBrokers().size() == 3));
        nodes.get(0).metadata().createTopic(TOPIC, 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ChronikNode leaderNode = awaitLeader(null);
        PartitionReplica leader = leaderNode.replicas().replica(TOPIC, 0);
        String group = Integer.toString(leader.group().groupNo());
        for (int i = 0; i < 20; i++) {
            leader.append(TestNodes.batch("record-" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        for (ChronikNode n : nodes) {
            n.replicas().log(TOPIC, 0).orElseThrow().readBarrier().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        // heartbeats go out every half minimum election timeout: wait for some on each follower
        await("heartbeats on the followers", () -> nodes.stream().filter(n -> n != leaderNode)
                .allMatch(n -> value(n, "chronik_raft_heartbeats_total", group) > 0));

        long votes = 0;
        for (ChronikNode n : nodes) {
            Map<String, Double> s = RecordingMetricSink.collect(n.raftMetrics());
            String node = "node " + n.settings().nodeId() + ": ";
            for (String family : FAMILIES) {
                for (String g : List.of(RaftMetrics.METADATA, group)) {
                    assertNotNull(node + family + " of group " + g, s.get(family + labels(n, g)));
                }
            }
            for (String g : List.of(RaftMetrics.METADATA, group)) {
                assertTrue(node + "term of " + g, value(s, n, "chronik_raft_current_term", g) >= 1);
                assertTrue(node + "commit index of " + g, value(s, n, "chronik_raft_commit_index", g) > 0);
                assertTrue(node + "applied index of " + g, value(s, n, "chronik_raft_applied_index", g) > 0);
                assertTrue(node + "log entries of " + g, value(s, n, "chronik_raft_log_entries_total", g) > 0);
                assertTrue(node + "elections of " + g, value(s, n, "chronik_raft_leader_elections_total", g) >= 1);
                votes += value(s, n, "chronik_raft_vote_requests_total", g);
            }
            // one entry per write (each waited for), on the leader as on the followers
            assertTrue(node + "the 20 writes' entries", value(s, n, "chronik_raft_log_entries_total", group) >= 20);
            if (n == leaderNode) {
                assertTrue(node + "write latencies", s.get("chronik_raft_append_duration_seconds_count{node_id=\""
                        + n.settings().nodeId() + "\"}") >= 1);
                for (ChronikNode f : nodes) {
                    if (f != n) {
                        String lag = "chronik_raft_follower_lag_entries{node_id=\"" + n.settings().nodeId()
                                + "\",group=\"" + group + "\",peer=\"" + f.settings().nodeId() + "\"}";
                        assertNotNull(node + lag, s.get(lag));
                        assertTrue(node + lag, s.get(lag) >= 0);
                    }
                }
            } else {
                assertTrue(node + "appends received", value(s, n, "chronik_raft_append_entries_total", group)
                        > value(s, n, "chronik_raft_heartbeats_total", group));
                assertTrue(node + "no lag series on a follower", s.keySet().stream()
                        .noneMatch(k -> k.startsWith("chronik_raft_follower_lag_entries") && k.contains("group=\""
                                + group + "\"")));
            }
            assertNotNull(s.get("chronik_partition_isr_shrinks_total{node_id=\"" + n.settings().nodeId() + "\"}"));
            assertNotNull(s.get("chronik_partition_isr_expands_total{node_id=\"" + n.settings().nodeId() + "\"}"));
        }
        assertTrue("vote requests received: " + votes, votes > 0);
        for (String g : List.of(RaftMetrics.METADATA, group)) {
            await("one leader of group " + g, () -> nodes.stream()
                    .mapToDouble(n -> value(n, "chronik_raft_leader", g)).sum() == 1.0);
        }

        // a shrink is counted against a published ISR (a group's first one counts as neither): the leader publishes
        // the group's ISR at its first liveness tick after it is ready, which a fast test may not have waited for
        int groupNo = Integer.parseInt(group);
        await("the data group's ISR published", () -> nodes.stream()
                .allMatch(n -> n.metadataState().isrs.get(groupNo) != null && n.metadataState().isrs.get(groupNo).size() == 3));

        // the data group's leader dies: the survivors elect a new one and count it
        List<ChronikNode> survivors = nodes.stream().filter(n -> n != leaderNode).toList();
        double[] before = survivors.stream().mapToDouble(n -> value(n, "chronik_raft_leader_elections_total", group))
                .toArray();
        leaderNode.stop();
        nodes.remove(leaderNode);
        ChronikNode newLeader = awaitLeader(leaderNode);
        for (int i = 0; i < survivors.size(); i++) {
            ChronikNode n = survivors.get(i);
            double was = before[i];
            await("node " + n.settings().nodeId() + " observed the election",
                    () -> value(n, "chronik_raft_leader_elections_total", group) > was);
        }
        await("one leader of group " + group + " among the survivors", () -> survivors.stream()
                .mapToDouble(n -> value(n, "chronik_raft_leader", group)).sum() == 1.0);
        // the new leader drops the dead replica from the ISR (silent longer than the election timeout): a shrink
        String shrinks = "chronik_partition_isr_shrinks_total{node_id=\"" + newLeader.settings().nodeId() + "\"}";
        await("an ISR shrink on the new leader", () -> RecordingMetricSink.collect(newLeader.raftMetrics())
                .get(shrinks) >= 1);
    }

    private static String labels(ChronikNode n, String group) {
        return "{node_id=\"" + n.settings().nodeId() + "\",group=\"" + group + "\"}";
    }

    private static double value(Map<String, Double> samples, ChronikNode n, String family, String group) {
        Double v = samples.get(family + labels(n, group));
        return v == null ? -1 : v;
    }

    private static double value(ChronikNode n, String family, String group) {
        return value(RecordingMetricSink.collect(n.raftMetrics()), n, family, group);
    }

    private ChronikNode awaitLeader(ChronikNode not) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica(TOPIC, 0);
                if (n != not && r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    return n;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader for " + TOPIC + "-0");
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 40_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("not within 40 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
