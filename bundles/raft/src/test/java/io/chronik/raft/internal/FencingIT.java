package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.api.net.HostPort;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Three nodes in one JVM with a 1.5 s session timeout: a stopped node is fenced and leaves every node's brokers,
 * ISRs and leaders (its unreplicated partitions show leader -1 with it offline); every node describes the cluster
 * alike; after a restart it is unfenced and back in the ISRs.
 */
public class FencingIT {
    private static final long SESSION_MS = 1500;
    /** Session timeout, a leader tick, the commit, and a data group's lag limit (the max election timeout). */
    private static final long BOUND_MS = 15_000;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void aStoppedBrokerIsFencedEverywhereAndUnfencedAfterItsReturn() throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        Map<Integer, NodeSettings> settings = new LinkedHashMap<>();
        for (int id = 1; id <= 3; id++) {
            Path dir = tmp.newFolder("n" + id).toPath();
            settings.put(id, NodeSettings.singleNode(id, peers.get(id).port(), dir, FlushPolicy.OS).withPeers(peers)
                    .withSessionTimeout(SESSION_MS));
            ChronikNode node = new ChronikNode(settings.get(id), new GrpcRaftTransport());
            node.start();
            nodes.add(node);
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        awaitEverywhere("three live brokers", n -> live(n).size() == 3);
        nodes.get(0).metadata().createTopic("replicated", 3, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        nodes.get(0).metadata().createTopic("single", 3, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        awaitEverywhere("leaders and full ISRs", n -> allPartitions(n).stream().allMatch(
                p -> p.leader() >= 0 && p.inSyncReplicas().size() == p.replicas().size()));
        // alive for several session timeouts: nobody is fenced
        Thread.sleep(3 * SESSION_MS);
        awaitEverywhere("nobody fenced", n -> live(n).size() == 3);

        ChronikNode victim = nodes.stream().filter(n -> n.settings().nodeId() != n.metadata().controllerId())
                .findFirst().orElseThrow();
        int dead = victim.settings().nodeId();
        victim.stop();
        nodes.remove(victim);

        long stopped = System.currentTimeMillis();
        awaitEverywhere("node " + dead + " fenced, out of every ISR, not a leader", n -> {
            if (live(n).contains(dead) || n.metadata().brokers().stream().noneMatch(b -> b.nodeId() == dead && b.fenced())) {
                return false;
            }
            for (PartitionInfo p : allPartitions(n)) {
                boolean onDead = p.replicas().contains(dead);
                if (p.inSyncReplicas().contains(dead) || p.leader() == dead
                        || p.offlineReplicas().equals(onDead ? List.of(dead) : List.of()) == false) {
                    return false;
                }
                // a partition whose only replica is dead has no leader; the others have a live one
                if (p.replicas().equals(List.of(dead)) ? p.leader() != -1 : p.leader() < 0) {
                    return false;
                }
            }
            return true;
        });
        assertTrue("fenced after " + (System.currentTimeMillis() - stopped) + " ms",
                System.currentTimeMillis() - stopped < BOUND_MS);
        assertSameEverywhere();
        try {
            nodes.get(0).metadata().createTopic("too-wide", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
            fail("placed a replica on a fenced broker");
        } catch (ExecutionException e) {
            assertEquals(Reason.INVALID_REPLICATION_FACTOR, ((ConsensusException) e.getCause()).reason());
        }
        TopicInfo two = nodes.get(0).metadata().createTopic("two", 2, 2, Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        two.partitions().forEach(p -> assertTrue(p.replicas().toString(), !p.replicas().contains(dead)));

        ChronikNode back = new ChronikNode(settings.get(dead), new GrpcRaftTransport());
        back.start();
        nodes.add(back);
        awaitEverywhere("node " + dead + " unfenced and back in the ISRs", n -> {
            if (!live(n).contains(dead)) {
                return false;
            }
            for (PartitionInfo p : allPartitions(n)) {
                if (!p.offlineReplicas().isEmpty() || p.leader() < 0 || !p.inSyncReplicas().containsAll(p.replicas())) {
                    return false;
                }
            }
            return true;
        });
        assertSameEverywhere();
    }

    /**
     * The metadata leader itself stops: its successor knows no heartbeats, gives every broker a full session and
     * then fences only the stopped one.
     */
    @Test
    public void theNextMetadataLeaderFencesTheOldOneAndNobodyElse() throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        for (int id = 1; id <= 3; id++) {
            Path dir = tmp.newFolder("m" + id).toPath();
            ChronikNode node = new ChronikNode(NodeSettings.singleNode(id, peers.get(id).port(), dir, FlushPolicy.OS)
                    .withPeers(peers).withSessionTimeout(SESSION_MS), new GrpcRaftTransport());
            node.start();
            nodes.add(node);
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        awaitEverywhere("three live brokers", n -> live(n).size() == 3);
        ChronikNode controller = nodes.stream().filter(n -> n.settings().nodeId() == n.metadata().controllerId())
                .findFirst().orElseThrow();
        int dead = controller.settings().nodeId();
        long stopped = System.currentTimeMillis(); // before stop(), which first stops the server, then snapshots
        controller.stop();
        nodes.remove(controller);
        List<Integer> survivors = new ArrayList<>(List.of(1, 2, 3));
        survivors.remove(Integer.valueOf(dead));
        while (System.currentTimeMillis() - stopped < BOUND_MS) {
            for (ChronikNode n : nodes) {
                List<Integer> live = live(n);
                assertTrue("a live broker was fenced: " + n.metadata().brokers(), live.containsAll(survivors));
            }
            if (nodes.stream().allMatch(n -> live(n).equals(survivors))) {
                break;
            }
            Thread.sleep(50);
        }
        assertTrue("the old metadata leader was not fenced", nodes.stream().allMatch(n -> live(n).equals(survivors)));
        assertTrue("fenced before a full session of the new leader", System.currentTimeMillis() - stopped >= SESSION_MS);
    }

    private static List<Integer> live(ChronikNode n) {
        return n.metadata().brokers().stream().filter(b -> !b.fenced()).map(BrokerInfo::nodeId).sorted().toList();
    }

    private static List<PartitionInfo> allPartitions(ChronikNode n) {
        List<PartitionInfo> all = new ArrayList<>();
        for (TopicInfo t : n.metadata().topics()) {
            all.addAll(t.partitions());
        }
        return all;
    }

    private void awaitEverywhere(String what, Predicate<ChronikNode> condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 2 * BOUND_MS;
        while (System.currentTimeMillis() < deadline) {
            if (nodes.stream().allMatch(condition)) {
                return;
            }
            Thread.sleep(50);
        }
        StringBuilder views = new StringBuilder();
        for (ChronikNode n : nodes) {
            views.append("\n node ").append(n.settings().nodeId()).append(": ").append(n.metadata().brokers())
                    .append(' ').append(allPartitions(n));
        }
        throw new AssertionError("not everywhere: " + what + views);
    }

    /** Every node describes the brokers and partitions identically (retried briefly: entries apply one by one). */
    private void assertSameEverywhere() throws InterruptedException {
        awaitEverywhere("identical descriptions", n -> describe(n).equals(describe(nodes.get(0))));
    }

    private static String describe(ChronikNode n) {
        return n.metadata().brokers().toString() + n.metadata().topics();
    }
}
