package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.api.net.HostPort;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/** Three nodes in one JVM on loopback gRPC: replicated metadata, a replicated partition, follower reads. */
public class ThreeNodeIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void replicatedTopicWithFollowerReads() throws Exception {
        TestNodes.startCluster(tmp, 3, s -> s, GrpcRaftTransport::new, nodes);
        long deadline = System.currentTimeMillis() + 30_000;
        while (nodes.stream().anyMatch(n -> n.metadata().brokers().size() < 3) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(3, nodes.get(0).metadata().brokers().size());
        int controller = nodes.get(0).metadata().controllerId();
        assertTrue(controller >= 1 && controller <= 3);
        assertEquals(nodes.get(0).metadata().clusterId(), nodes.get(2).metadata().clusterId());

        // created through a node that may not lead the metadata group: forwarded by Ratis
        TopicInfo t = nodes.get(1).metadata().createTopic("replicated", 1, 3, Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        assertEquals(List.of(1, 2, 3), sorted(t.partitions().get(0).replicas()));

        // every node hosts a replica once it applied the entry; wait for a data leader
        PartitionLog leader = null;
        ChronikNode leaderNode = null;
        deadline = System.currentTimeMillis() + 30_000;
        while (leader == null && System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica("replicated", 0);
                if (r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    leader = r;
                    leaderNode = n;
                }
            }
            Thread.sleep(20);
        }
        assertNotNull("no leader elected", leader);
        for (int i = 0; i < 10; i++) {
            assertEquals(i, leader.append(TestNodes.batch("v" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS).baseOffset());
        }
        assertEquals(List.of(1, 2, 3), sorted(leaderNode.metadata().topic("replicated").get().partitions().get(0).inSyncReplicas()));
        for (ChronikNode n : nodes) {
            if (n == leaderNode) {
                continue;
            }
            PartitionLog follower = n.replicas().log("replicated", 0).orElseThrow();
            follower.readBarrier().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(10, follower.highWatermark());
            assertEquals("9:v9", TestNodes.readAll(follower, 0).get(9));
            try {
                follower.append(TestNodes.batch("no")).toCompletableFuture().get(30, TimeUnit.SECONDS);
                throw new AssertionError("a follower accepted an append");
            } catch (ExecutionException e) {
                ConsensusException c = (ConsensusException) e.getCause();
                assertEquals(Reason.NOT_LEADER, c.reason());
                assertEquals(leaderNode.settings().nodeId(), c.leaderHint());
            }
            assertEquals(leaderNode.settings().nodeId(), n.metadata().topic("replicated").get().partitions().get(0).leader());
        }
        // partitions with one replica: every node names the same leader, hosted or not (reported via metadata)
        nodes.get(0).metadata().createTopic("single-replica", 4, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        long leadersDeadline = System.currentTimeMillis() + 30_000;
        boolean agreed = false;
        while (!agreed && System.currentTimeMillis() < leadersDeadline) {
            agreed = true;
            for (ChronikNode n : nodes) {
                for (var p : n.metadata().topic("single-replica").get().partitions()) {
                    agreed &= p.leader() == p.replicas().get(0) && p.leaderEpoch() > 0;
                }
            }
            Thread.sleep(50);
        }
        assertTrue("nodes do not agree on the leaders of unreplicated partitions", agreed);

        // the leader goes away: another replica takes over with a higher epoch and has every acknowledged record
        int oldEpoch = leader.leaderEpoch();
        leaderNode.stop();
        nodes.remove(leaderNode);
        PartitionLog next = null;
        deadline = System.currentTimeMillis() + 30_000;
        while (next == null && System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica("replicated", 0);
                if (r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    next = r;
                }
            }
            Thread.sleep(20);
        }
        assertNotNull("no new leader", next);
        assertTrue(next.leaderEpoch() > oldEpoch);
        ChronikNode nextNode = nodes.stream().filter(n -> n.replicas().replica("replicated", 0).isLeader()).findFirst().orElseThrow();
        long isrDeadline = System.currentTimeMillis() + 10_000;
        while (nextNode.metadata().topic("replicated").get().partitions().get(0).inSyncReplicas().size() != 2
                && System.currentTimeMillis() < isrDeadline) {
            Thread.sleep(50);
        }
        assertEquals(2, nextNode.metadata().topic("replicated").get().partitions().get(0).inSyncReplicas().size());
        assertEquals(10, next.append(TestNodes.batch("after-failover")).toCompletableFuture().get(30, TimeUnit.SECONDS).baseOffset());
        assertEquals("10:after-failover", TestNodes.readAll(next, 0).get(10));

        // producer ids allocated on different nodes never collide
        long a = nodes.get(0).metadata().allocateProducerId().toCompletableFuture().get(30, TimeUnit.SECONDS);
        long b = nodes.get(1).metadata().allocateProducerId().toCompletableFuture().get(30, TimeUnit.SECONDS);
        assertTrue(a != b);
    }

    /**
     * A replica that was down while entries were committed catches up after the others restarted, so that the
     * leader no longer holds those entries in memory and reads their record batches back from its payload log.
     */
    @Test
    public void aLaggingReplicaCatchesUpFromEntriesReadBackFromDisk() throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        Map<Integer, NodeSettings> settings = new LinkedHashMap<>();
        for (int id = 1; id <= 3; id++) {
            Path dir = tmp.newFolder("c" + id).toPath();
            settings.put(id, NodeSettings.singleNode(id, peers.get(id).port(), dir, FlushPolicy.OS).withPeers(peers));
            nodes.add(start(settings.get(id)));
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (nodes.stream().anyMatch(n -> n.metadata().brokers().size() < 3) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        nodes.get(0).metadata().createTopic("catch-up", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        PartitionReplica leader = awaitLeader(nodes, "catch-up");
        ChronikNode lagging = nodes.stream().filter(n -> n.replicas().replica("catch-up", 0) != leader).findFirst().orElseThrow();
        lagging.stop();
        nodes.remove(lagging);
        for (int i = 0; i < 20; i++) {
            assertEquals(2 * i, leader.append(TestNodes.batch("k" + i, "v" + i)).toCompletableFuture()
                    .get(30, TimeUnit.SECONDS).baseOffset());
        }
        for (ChronikNode n : nodes) {
            n.stop();
        }
        nodes.clear();
        for (NodeSettings s : settings.values()) {
            nodes.add(start(s));
        }
        PartitionReplica next = awaitLeader(nodes, "catch-up");
        assertEquals(40, next.highWatermark());
        ChronikNode caughtUp = nodes.stream().filter(n -> n.settings().nodeId() == lagging.settings().nodeId())
                .findFirst().orElseThrow();
        PartitionLog replica = caughtUp.replicas().log("catch-up", 0).orElseThrow();
        deadline = System.currentTimeMillis() + 30_000;
        while (replica.highWatermark() < 40 && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        List<String> all = TestNodes.readAll(replica, 0);
        assertEquals(40, all.size());
        assertEquals("38:k19", all.get(38));
        assertEquals("39:v19", all.get(39));
    }

    /**
     * Read-your-writes on a follower: after each acknowledged append, a ReadIndex barrier on a follower makes the
     * record visible there; concurrent barriers share ReadIndex rounds.
     */
    @Test
    public void aFollowerBarrierShowsEveryAcknowledgedRecordAndBarriersShareRounds() throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        for (int id = 1; id <= 3; id++) {
            nodes.add(start(NodeSettings.singleNode(id, peers.get(id).port(), tmp.newFolder("f" + id).toPath(),
                    FlushPolicy.OS).withPeers(peers)));
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        long registered = System.currentTimeMillis() + 30_000;
        while (nodes.stream().anyMatch(n -> n.metadata().brokers().size() < 3) && System.currentTimeMillis() < registered) {
            Thread.sleep(20);
        }
        nodes.get(0).metadata().createTopic("ryw", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        PartitionReplica leader = awaitLeader(nodes, "ryw");
        PartitionReplica follower = nodes.stream().map(n -> n.replicas().replica("ryw", 0))
                .filter(r -> r != null && r != leader).findFirst().orElseThrow();
        for (int i = 0; i < 100; i++) {
            long offset = leader.append(TestNodes.batch("w" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .baseOffset();
            follower.readBarrier().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertTrue("record " + offset + " visible on the follower right after its acknowledgement",
                    follower.highWatermark() > offset);
        }
        ReadIndexRounds rounds = follower.group().readRounds();
        long roundsBefore = rounds.rounds();
        ReadIndexMetrics nodeMetrics = nodes.stream().filter(n -> n.replicas().replica("ryw", 0) == follower)
                .findFirst().orElseThrow().readIndexMetrics();
        long nodeRoundsBefore = nodeMetrics.rounds();
        long barriersBefore = nodeMetrics.barriers();
        List<java.util.concurrent.CompletableFuture<Void>> barriers = new java.util.ArrayList<>();
        for (int i = 0; i < 500; i++) {
            barriers.add(follower.readBarrier().toCompletableFuture());
        }
        for (java.util.concurrent.CompletableFuture<Void> b : barriers) {
            b.get(30, TimeUnit.SECONDS);
        }
        long used = rounds.rounds() - roundsBefore;
        assertTrue("500 concurrent barriers took " + used + " rounds", used >= 1 && used < 50);
        // the node's metrics (its MetricSource) saw the same: every barrier, the rounds, no failure, a latency each
        assertEquals(500, nodeMetrics.barriers() - barriersBefore);
        assertTrue(nodeMetrics.rounds() - nodeRoundsBefore >= used);
        assertTrue(nodeMetrics.barriers() >= 600);
        assertEquals(0, nodeMetrics.failures());
        assertEquals(nodeMetrics.rounds(), nodeMetrics.duration().count());
        assertTrue(nodeMetrics.duration().sumSeconds() > 0);
    }

    private static ChronikNode start(NodeSettings s) throws Exception {
        ChronikNode node = new ChronikNode(s, new GrpcRaftTransport());
        node.start();
        return node;
    }

    private static PartitionReplica awaitLeader(List<ChronikNode> nodes, String topic) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica(topic, 0);
                if (r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    return r;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader of " + topic);
    }

    private static List<Integer> sorted(List<Integer> l) {
        List<Integer> c = new ArrayList<>(l);
        c.sort(null);
        return c;
    }
}
