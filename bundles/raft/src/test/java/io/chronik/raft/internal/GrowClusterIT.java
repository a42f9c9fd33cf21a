package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.server.RaftServer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.api.net.HostPort;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Three nodes run; a fourth starts with peers naming all four, joins the metadata group as a listener, registers
 * and appears in every node's brokers within 10 s, receives replicas of a new topic and serves their data; then it is
 * promoted to a voter of the metadata group while metadata and data writes keep being accepted.
 */
public class GrowClusterIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void aFourthNodeJoinsReceivesReplicasAndIsPromotedToVoter() throws Exception {
        Map<Integer, HostPort> all = TestNodes.loopbackPeers(4);
        Map<Integer, HostPort> first = new LinkedHashMap<>(all);
        first.remove(4);
        for (int id = 1; id <= 3; id++) {
            nodes.add(start(id, first));
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        awaitEverywhere("three brokers", n -> live(n).size() == 3, 30_000);

        long t0 = System.currentTimeMillis();
        ChronikNode fourth = start(4, all);
        nodes.add(fourth);
        fourth.ready().get(10, TimeUnit.SECONDS);
        awaitEverywhere("four brokers", n -> live(n).equals(List.of(1, 2, 3, 4)), 10_000);
        assertTrue("joined in " + (System.currentTimeMillis() - t0) + " ms", System.currentTimeMillis() - t0 < 10_000);
        RaftServer.Division meta = fourth.serverOrNull().getDivision(Ids.METADATA_GROUP);
        assertEquals(RaftPeerRole.LISTENER, meta.getInfo().getCurrentRole());
        assertEquals(3, meta.getRaftConf().getCurrentPeers(RaftPeerRole.FOLLOWER).size());

        TopicInfo grown = nodes.get(0).metadata().createTopic("grown", 8, 3, Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        List<Integer> onFourth = new ArrayList<>();
        for (PartitionInfo p : grown.partitions()) {
            if (p.replicas().contains(4)) {
                onFourth.add(p.partition());
            }
        }
        assertTrue("no replica on node 4: " + grown.partitions(), onFourth.size() >= 2);
        for (int p : onFourth) {
            PartitionReplica leader = awaitLeader("grown", p);
            for (int i = 0; i < 5; i++) {
                leader.append(TestNodes.batch("p" + p + "-" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS);
            }
            PartitionLog replica = fourth.replicas().log("grown", p).orElseThrow();
            replica.readBarrier().toCompletableFuture().get(30, TimeUnit.SECONDS);
            assertEquals(5, replica.highWatermark());
            assertEquals("4:p" + p + "-4", TestNodes.readAll(replica, 0).get(4));
        }

        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger accepted = new AtomicInteger();
        AtomicReference<Throwable> refused = new AtomicReference<>();
        PartitionReplica dataLeader = awaitLeader("grown", onFourth.get(0));
        Thread writer = new Thread(() -> {
            try {
                for (int i = 0; writing.get(); i++) {
                    nodes.get(i % 3).metadata().allocateProducerId().toCompletableFuture().get(10, TimeUnit.SECONDS);
                    dataLeader.append(TestNodes.batch("during-" + i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
                    accepted.incrementAndGet();
                }
            } catch (Throwable e) {
                refused.set(e);
            }
        });
        writer.start();
        Thread.sleep(300);
        String outcome = nodes.get(1).addMetadataVoter(4);
        assertTrue(outcome, outcome.contains("voters [1, 2, 3, 4]"));
        long deadline = System.currentTimeMillis() + 20_000;
        RaftServer.Division promoted = null;
        while (System.currentTimeMillis() < deadline) {
            try {
                promoted = fourth.serverOrNull().getDivision(Ids.METADATA_GROUP);
                if (promoted.getInfo().getCurrentRole() == RaftPeerRole.FOLLOWER) {
                    break;
                }
            } catch (IOException restarting) {
                promoted = null; // the division restarts as a follower: briefly absent
            }
            Thread.sleep(50);
        }
        assertTrue("node 4 runs its metadata division as a follower",
                promoted != null && promoted.getInfo().getCurrentRole() == RaftPeerRole.FOLLOWER);
        int before = accepted.get();
        while (accepted.get() < before + 5 && refused.get() == null && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        writing.set(false);
        writer.join(30_000);
        if (refused.get() != null) {
            throw new AssertionError("a write was refused during the promotion", refused.get());
        }
        assertTrue(accepted.get() >= before + 5);
        for (ChronikNode n : nodes) {
            assertEquals(4, n.serverOrNull().getDivision(Ids.METADATA_GROUP).getRaftConf()
                    .getCurrentPeers(RaftPeerRole.FOLLOWER).size());
        }
        // the promoted node applies metadata as a voter: a topic created now is known everywhere
        nodes.get(3).metadata().createTopic("after", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        awaitEverywhere("the topic created after the promotion",
                n -> n.metadata().topic("after").isPresent() && live(n).size() == 4, 10_000);
        assertEquals("not promoted twice", outcome.replace("is a voter", "already is a voter"),
                nodes.get(0).addMetadataVoter(4));
    }

    private ChronikNode start(int id, Map<Integer, HostPort> peers) throws Exception {
        NodeSettings s = NodeSettings.singleNode(id, peers.get(id).port(), tmp.newFolder("n" + id).toPath(), FlushPolicy.OS)
                .withPeers(peers).withSessionTimeout(3000);
        ChronikNode node = new ChronikNode(s, new GrpcRaftTransport());
        node.start();
        return node;
    }

    private PartitionReplica awaitLeader(String topic, int partition) throws Exception {
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

    private static List<Integer> live(ChronikNode n) {
        return n.metadata().brokers().stream().filter(b -> !b.fenced()).map(BrokerInfo::nodeId).sorted().toList();
    }

    private void awaitEverywhere(String what, Predicate<ChronikNode> condition, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            if (nodes.stream().allMatch(condition)) {
                return;
            }
            Thread.sleep(50);
        }
        StringBuilder views = new StringBuilder();
        for (ChronikNode n : nodes) {
            views.append("\n node ").append(n.settings().nodeId()).append(": ").append(n.metadata().brokers());
        }
        throw new AssertionError("not everywhere: " + what + views);
    }
}
