package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Four nodes, all voters of the metadata group, and a topic with replication factor 3. Decommissioning node 4 through
 * node 4 itself while it leads the metadata group moves every replica off node 4 (its data with it), the metadata
 * leadership to another node and makes node 4 a metadata listener; "ok" is reported only then. After node 4 stops, every partition has three replicas, all in sync, the metadata group still commits, and
 * new topics go to the three nodes left. Decommissioning one of the three left nodes is refused (too few brokers).
 */
public class DecommissionIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void aDecommissionedNodeCanBeStoppedWithoutUnderReplicatedPartitions() throws Exception {
        TestNodes.startCluster(tmp, 4, s -> s.withSessionTimeout(3000), GrpcRaftTransport::new, nodes);
        awaitEverywhere("four live brokers", n -> n.metadata().brokers().stream().filter(b -> !b.fenced()).count() == 4,
                30_000);
        TopicInfo topic = nodes.get(0).metadata().createTopic("t", 6, 3, Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        List<Integer> onFour = new ArrayList<>();
        for (PartitionInfo p : topic.partitions()) {
            if (p.replicas().contains(4)) {
                onFour.add(p.partition());
            }
        }
        assertTrue("partitions on node 4: " + topic.partitions(), onFour.size() >= 3);
        for (int p = 0; p < 6; p++) {
            PartitionLog leader = awaitLeader("t", p);
            for (int i = 0; i < 10; i++) {
                leader.append(TestNodes.batch("p" + p + "-" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
        }

        nodes.get(0).membership().transferLeadership(4);
        awaitEverywhere("node 4 leads the metadata group", n -> n.metadata().controllerId() == 4, 20_000);
        Decommissioner d = nodes.get(3).decommissioner();
        String first = d.decommission(4);
        assertTrue(first, first.startsWith("in progress") || first.startsWith("ok"));
        assertEquals("idempotent while it runs", d.status(4).substring(0, 5), d.decommission(4).substring(0, 5));
        String status = first;
        long deadline = System.currentTimeMillis() + 120_000;
        while (!status.startsWith("ok") && !status.startsWith("error") && System.currentTimeMillis() < deadline) {
            Thread.sleep(500);
            status = d.decommission(4);
        }
        assertEquals("ok: node 4 holds no replicas and no metadata vote; it can be stopped", status);
        for (ChronikNode n : nodes) {
            for (PartitionInfo p : n.metadata().topic("t").orElseThrow().partitions()) {
                assertFalse("node " + n.settings().nodeId() + ": " + p, p.replicas().contains(4));
                assertEquals(3, p.replicas().size());
            }
            assertTrue(n.metadataState().decommissioned.contains(4));
            if (n.settings().nodeId() != 4) { // node 4 restarts its metadata division meanwhile: below
                assertEquals(List.of(1, 2, 3), ids(n));
            }
        }
        assertTrue(nodes.get(0).metadata().controllerId() != 4);
        assertEquals("another node sees it done", status, nodes.get(1).decommissioner().status(4));
        assertTrue(nodes.get(1).decommissioner().status(3), nodes.get(1).decommissioner().status(3).startsWith("idle: "));
        awaitTrue("node 4 runs its metadata division as a listener", () -> {
            try {
                return nodes.get(3).serverOrNull().getDivision(Ids.METADATA_GROUP).getInfo().getCurrentRole()
                        == RaftPeerRole.LISTENER && ids(nodes.get(3)).equals(List.of(1, 2, 3));
            } catch (java.io.IOException restarting) {
                return false;
            }
        }, 20_000);
        for (int p : onFour) {
            assertNull("node 4 dropped t-" + p, nodes.get(3).replicas().replica("t", p));
        }

        ChronikNode four = nodes.remove(3);
        four.stop();
        awaitEverywhere("every partition with three in-sync replicas and a leader", n -> n.metadata().topic("t")
                .orElseThrow().partitions().stream().allMatch(p -> p.leader() >= 0 && p.inSyncReplicas().size() == 3
                        && p.offlineReplicas().isEmpty()), 60_000);
        for (int p = 0; p < 6; p++) {
            PartitionLog leader = awaitLeader("t", p);
            leader.append(TestNodes.batch("after")).toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals("t-" + p, 11, leader.highWatermark());
            List<String> values = TestNodes.readAll(leader, 0);
            assertEquals("0:p" + p + "-0", values.get(0));
            assertEquals("9:p" + p + "-9", values.get(9));
        }
        // the metadata group commits without node 4, and placement avoids it
        TopicInfo after = nodes.get(1).metadata().createTopic("after", 3, 3, Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        for (PartitionInfo p : after.partitions()) {
            assertFalse(p.replicas().contains(4));
        }
        String refused = nodes.get(2).decommissioner().decommission(1);
        assertTrue(refused, refused.startsWith("error: cannot decommission node 1") && refused.contains("add a broker first"));
        // cancelling takes the mark away (a node 4 that comes back may receive replicas again)
        String cancelled = nodes.get(0).decommissioner().cancel(4);
        assertTrue(cancelled, cancelled.startsWith("ok: node 4 may receive new replicas again"));
        awaitEverywhere("node 4 no longer marked", n -> !n.metadataState().decommissioned.contains(4), 10_000);
    }

    private static List<Integer> ids(ChronikNode n) throws Exception {
        return n.serverOrNull().getDivision(Ids.METADATA_GROUP).getRaftConf().getCurrentPeers(RaftPeerRole.FOLLOWER)
                .stream().map(p -> Ids.nodeId(p.getId())).sorted().toList();
    }

    private PartitionLog awaitLeader(String topic, int partition) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica(topic, partition);
                if (r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    return r;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader of " + topic + "-" + partition);
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(String what, Condition c, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (c.holds()) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("not within " + timeoutMs + " ms: " + what);
    }

    private void awaitEverywhere(String what, Predicate<ChronikNode> condition, long timeoutMs) throws Exception {
        awaitTrue(what, () -> nodes.stream().allMatch(condition), timeoutMs);
    }
}
