package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.ElectionResult;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.net.HostPort;

/**
 * Three nodes in one JVM: leadership returns to preferred replicas automatically after a restart, and on demand
 * through {@link ClusterMetadataImpl#electPreferredLeaders}.
 */
public class LeaderBalanceIT {
    private static final String TOPIC = "balanced";

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final Map<Integer, NodeSettings> settings = new LinkedHashMap<>();
    private final Map<Integer, ChronikNode> nodes = new LinkedHashMap<>();

    @After
    public void stop() {
        nodes.values().forEach(ChronikNode::stop);
    }

    private void startCluster(LeaderBalance balance) throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        for (int id = 1; id <= 3; id++) {
            settings.put(id, NodeSettings.singleNode(id, peers.get(id).port(), tmp.newFolder("n" + id).toPath(), FlushPolicy.OS)
                    .withPeers(peers).withLeaderBalance(balance));
            start(id);
        }
        for (ChronikNode n : nodes.values()) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        long deadline = System.currentTimeMillis() + 30_000;
        while (nodes.values().stream().anyMatch(n -> n.metadata().brokers().size() < 3) && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        // three partitions in three groups whose first replicas are the three nodes
        any().metadata().createTopic(TOPIC, 3, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<Integer> preferred = new ArrayList<>();
        for (PartitionInfo p : any().metadata().topic(TOPIC).orElseThrow().partitions()) {
            preferred.add(p.replicas().get(0));
        }
        assertEquals(Set.of(1, 2, 3), Set.copyOf(preferred));
    }

    private void start(int id) throws Exception {
        ChronikNode node = new ChronikNode(settings.get(id), new io.chronik.transport.grpc.internal.GrpcRaftTransport());
        node.start();
        nodes.put(id, node);
    }

    private ChronikNode any() {
        return nodes.values().iterator().next();
    }

    /** The partition's leader as a node hosting it sees it first hand (-1 while there is none). */
    private int leader(int partition) {
        for (ChronikNode n : nodes.values()) {
            DataGroup g = n.groups().get(n.metadataState().topics.get(TOPIC).groups().get(partition));
            if (g != null && g.division() != null && g.leaderNodeId() >= 0) {
                return g.leaderNodeId();
            }
        }
        return -1;
    }

    private int preferred(int partition) {
        return any().metadata().topic(TOPIC).orElseThrow().partitions().get(partition).replicas().get(0);
    }

    private boolean allPreferred() {
        for (int p = 0; p < 3; p++) {
            if (leader(p) != preferred(p)) {
                return false;
            }
        }
        return true;
    }

    private boolean awaitAllPreferred(long ms) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ms;
        while (!allPreferred() && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        return allPreferred();
    }

    /** Stops the preferred leader of partition 0 and waits until another node leads it. */
    private int stopPreferredOfPartition0() throws Exception {
        int victim = preferred(0);
        nodes.remove(victim).stop();
        long deadline = System.currentTimeMillis() + 30_000;
        while ((leader(0) == -1 || leader(0) == victim) && System.currentTimeMillis() < deadline) {
            Thread.sleep(50);
        }
        assertTrue("partition 0 has no new leader", leader(0) != -1 && leader(0) != victim);
        return victim;
    }

    @Test
    public void leadershipReturnsToThePreferredReplicaAfterARestart() throws Exception {
        startCluster(new LeaderBalance(true, 1000, 10));
        assertTrue("leaders never balanced after creation", awaitAllPreferred(30_000));

        int victim = stopPreferredOfPartition0();
        start(victim);
        nodes.get(victim).ready().get(60, TimeUnit.SECONDS);
        // back within a few check intervals (the restarted replica must catch up first)
        assertTrue("leadership did not return to node " + victim, awaitAllPreferred(30_000));
    }

    @Test
    public void electPreferredLeadersOnDemand() throws Exception {
        startCluster(new LeaderBalance(false, 1000, 10));
        ClusterMetadataImpl md = any().metadata();
        // right after creation the groups may still be electing: a transfer can fail then, as an operator would,
        // ask again
        long deadline = System.currentTimeMillis() + 30_000;
        while (!allPreferred() && System.currentTimeMillis() < deadline) {
            Map<String, Map<Integer, ElectionResult>> first = md.electPreferredLeaders(null).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS);
            assertEquals(Set.of(0, 1, 2), first.get(TOPIC).keySet());
            awaitAllPreferred(2_000);
        }
        assertTrue(allPreferred());

        // nothing to do now; unknown partitions are reported as such
        Map<String, Map<Integer, ElectionResult>> again = md.electPreferredLeaders(
                Map.of(TOPIC, Set.of(0, 1, 2, 7), "no-such-topic", Set.of(0))).toCompletableFuture().get(60, TimeUnit.SECONDS);
        assertEquals(Map.of(0, ElectionResult.NOT_NEEDED, 1, ElectionResult.NOT_NEEDED, 2, ElectionResult.NOT_NEEDED,
                7, ElectionResult.UNKNOWN_PARTITION), again.get(TOPIC));
        assertEquals(Map.of(0, ElectionResult.UNKNOWN_PARTITION), again.get("no-such-topic"));

        // the preferred replica is down: it cannot be elected
        int victim = stopPreferredOfPartition0();
        ClusterMetadataImpl survivor = any().metadata();
        assertEquals(ElectionResult.PREFERRED_NOT_AVAILABLE, survivor.electPreferredLeaders(Map.of(TOPIC, Set.of(0)))
                .toCompletableFuture().get(60, TimeUnit.SECONDS).get(TOPIC).get(0));

        // back, but automatic rebalance is off: leadership stays away until asked, from a node that may not host it
        start(victim);
        nodes.get(victim).ready().get(60, TimeUnit.SECONDS);
        Thread.sleep(2000);
        assertTrue(leader(0) != victim);
        ElectionResult result = null;
        deadline = System.currentTimeMillis() + 30_000;
        while (result != ElectionResult.ELECTED && System.currentTimeMillis() < deadline) {
            result = nodes.get(victim).metadata().electPreferredLeaders(Map.of(TOPIC, Set.of(0))).toCompletableFuture()
                    .get(60, TimeUnit.SECONDS).get(TOPIC).get(0);
        }
        assertEquals(ElectionResult.ELECTED, result);
        assertEquals(victim, leader(0));
    }
}
