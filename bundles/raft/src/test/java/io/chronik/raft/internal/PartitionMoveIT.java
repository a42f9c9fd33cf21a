package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.ConsensusException.Reason;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.net.HostPort;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Partition moves on three nodes: a partition moves to other replicas and back while an idempotent producer keeps
 * writing; every acknowledged record is there exactly once, in order, on the new replicas; epochs only grow; the old
 * replica is gone. A cancelled move leaves the partition writable where it was; bad requests get their reasons.
 */
public class PartitionMoveIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @Before
    public void startCluster() throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        for (int id = 1; id <= 3; id++) {
            NodeSettings s = NodeSettings.singleNode(id, peers.get(id).port(), tmp.newFolder("n" + id).toPath(),
                    FlushPolicy.OS).withPeers(peers).withSessionTimeout(3000);
            ChronikNode node = new ChronikNode(s, new GrpcRaftTransport());
            node.start();
            nodes.add(node);
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        // ready means registered; every node must also have applied the others' registrations
        awaitEverywhere("three live brokers", n -> n.metadata().brokers().stream().filter(b -> !b.fenced()).count() == 3,
                30_000);
    }

    /**
     * Stops the nodes, waiting at most a minute: gRPC's server shutdown has been seen to wait forever for a channel
     * of a node that crashed and restarted in the test, which must not hang the build.
     */
    @After
    public void stop() throws InterruptedException {
        Thread stopper = new Thread(() -> nodes.forEach(ChronikNode::stop), "stop-nodes");
        stopper.setDaemon(true);
        stopper.start();
        stopper.join(60_000);
    }

    @Test
    public void aPartitionMovesAndBackUnderAnIdempotentProducerWithoutLosingOrRepeatingARecord() throws Exception {
        ClusterMetadataImpl meta = nodes.get(0).metadata();
        meta.createTopic("moving", List.of(List.of(1, 2)), Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        long pid = meta.allocateProducerId().toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> acked = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread producer = new Thread(() -> produce(pid, acked, writing, failed), "producer");
        producer.start();
        awaitCount(acked, 50);
        int epochBefore = partition(nodes.get(2)).leaderEpoch();
        int sourceGroup = nodes.get(0).metadataState().topics.get("moving").groups().get(0);
        assertTrue("Raft metrics of the group", raftSeries(nodes.get(0), sourceGroup));

        meta.reassignPartition("moving", 0, List.of(3, 2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitEverywhere("replicas [3, 2]", n -> partition(n).replicas().equals(List.of(3, 2))
                && n.metadata().reassignments().isEmpty(), 60_000);
        awaitCount(acked, acked.size() + 50);
        assertNull("node 1 no longer holds the partition", nodes.get(0).replicas().replica("moving", 0));
        assertTrue("the leader epoch grew", partition(nodes.get(0)).leaderEpoch() > epochBefore);
        awaitEverywhere("the source group retired", n -> !n.metadataState().groups.containsKey(sourceGroup)
                && n.groups().get(sourceGroup) == null, 10_000);
        // its Raft metrics went with its division: no series, and no counters kept
        awaitEverywhere("no Raft metrics of the retired group", n -> !raftSeries(n, sourceGroup)
                && n.raftMetrics().counters(Ids.dataGroup(sourceGroup)) == null, 10_000);

        meta.reassignPartition("moving", 0, List.of(1, 2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitEverywhere("replicas [1, 2] again", n -> partition(n).replicas().equals(List.of(1, 2))
                && n.metadata().reassignments().isEmpty(), 60_000);
        awaitCount(acked, acked.size() + 50);
        writing.set(false);
        producer.join(60_000);
        if (failed.get() != null) {
            throw new AssertionError("the producer failed", failed.get());
        }
        assertNull("node 3 no longer holds the partition", nodes.get(2).replicas().replica("moving", 0));
        for (int id : List.of(1, 2)) {
            PartitionLog log = nodes.get(id - 1).replicas().log("moving", 0).orElseThrow();
            awaitTrue("node " + id + " has every record", () -> log.highWatermark() == acked.size(), 30_000);
            List<String> values = new ArrayList<>();
            for (String r : TestNodes.readAll(log, 0)) {
                values.add(r.substring(r.indexOf(':') + 1));
            }
            assertEquals("node " + id, acked, values);
        }
    }

    /** Whether the node's Raft metrics have series of data group {@code groupNo} (scraping drops retired groups). */
    private static boolean raftSeries(ChronikNode n, int groupNo) {
        return io.chronik.testing.RecordingMetricSink.collect(n.raftMetrics()).keySet().stream()
                .anyMatch(k -> k.contains(",group=\"" + groupNo + "\""));
    }

    @Test
    public void aTargetNodeThatCrashesDuringTheCopyCatchesUpAndTheMoveCompletes() throws Exception {
        ClusterMetadataImpl meta = nodes.get(0).metadata();
        meta.createTopic("crash", List.of(List.of(1, 2)), Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        PartitionLog leader = TestNodes.awaitLeader(leaderNode("crash"), "crash", 0);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String[] values = new String[100];
            for (int j = 0; j < values.length; j++) {
                values[j] = "r" + (i * 100 + j) + "-" + "x".repeat(200);
                written.add(values[j]);
            }
            leader.append(TestNodes.batch(values)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        ChronikNode third = nodes.get(2);
        NodeSettings thirdSettings = third.settings();
        meta.reassignPartition("crash", 0, List.of(3, 2)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitTrue("node 3 receives part of the copy", () -> {
            PartitionReplica r = third.replicas().staging("crash", 0);
            return r != null && r.highWatermark() > 0;
        }, 30_000);
        third.snapshotOnStop = false; // a crash: no checkpoint on the way down
        third.stop();
        Thread.sleep(1000);
        ChronikNode restarted = new ChronikNode(thirdSettings, new GrpcRaftTransport());
        restarted.start();
        nodes.set(2, restarted);
        restarted.ready().get(60, TimeUnit.SECONDS);
        awaitEverywhere("replicas [3, 2]", n -> n.metadata().topic("crash").orElseThrow().partitions().get(0).replicas()
                .equals(List.of(3, 2)) && n.metadata().reassignments().isEmpty(), 60_000);
        for (int id : List.of(3, 2)) {
            PartitionLog log = nodes.get(id - 1).replicas().log("crash", 0).orElseThrow();
            awaitTrue("node " + id + " has every record", () -> log.highWatermark() == written.size(), 30_000);
            List<String> values = new ArrayList<>();
            for (String r : TestNodes.readAll(log, 0)) {
                values.add(r.substring(r.indexOf(':') + 1));
            }
            assertEquals("node " + id, written, values);
        }
        PartitionLog moved = TestNodes.awaitLeader(leaderNode("crash"), "crash", 0);
        assertEquals(written.size(), moved.append(TestNodes.batch("after")).toCompletableFuture().get(10, TimeUnit.SECONDS)
                .baseOffset());
    }

    @Test
    public void aCancelledMoveLeavesThePartitionWritableWhereItWas() throws Exception {
        ClusterMetadataImpl meta = nodes.get(1).metadata();
        meta.createTopic("stays", List.of(List.of(1, 2)), Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        PartitionLog leader = TestNodes.awaitLeader(leaderNode("stays"), "stays", 0);
        for (int i = 0; i < 20; i++) {
            leader.append(TestNodes.batch("before-" + i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        meta.reassignPartition("stays", 0, List.of(3, 1)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        meta.reassignPartition("stays", 0, null).toCompletableFuture().get(10, TimeUnit.SECONDS);
        awaitEverywhere("no reassignment", n -> n.metadata().reassignments().isEmpty(), 10_000);
        assertEquals(List.of(1, 2), partition(nodes.get(2)).replicas());
        awaitTrue("writable again", () -> {
            try {
                PartitionLog l = TestNodes.awaitLeader(leaderNode("stays"), "stays", 0);
                l.append(TestNodes.batch("after")).toCompletableFuture().get(10, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException e) {
                return false;
            }
        }, 30_000);
        awaitTrue("node 3 dropped its copy", () -> nodes.get(2).replicas().staging("stays", 0) == null, 30_000);
    }

    @Test
    public void badReassignmentsGetTheirReasons() throws Exception {
        ClusterMetadataImpl meta = nodes.get(2).metadata();
        meta.createTopic("bad", 2, 2, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        expect(Reason.INVALID_REPLICA_ASSIGNMENT, () -> meta.reassignPartition("bad", 0, List.of(1, 9)));
        expect(Reason.INVALID_REPLICA_ASSIGNMENT, () -> meta.reassignPartition("bad", 0, List.of(1, 1)));
        expect(Reason.INVALID_REPLICA_ASSIGNMENT, () -> meta.reassignPartition("bad", 0, List.of()));
        expect(Reason.UNKNOWN_TOPIC, () -> meta.reassignPartition("nope", 0, List.of(1, 2)));
        expect(Reason.UNKNOWN_PARTITION, () -> meta.reassignPartition("bad", 5, List.of(1, 2)));
        expect(Reason.NO_REASSIGNMENT_IN_PROGRESS, () -> meta.reassignPartition("bad", 1, null));
        assertTrue(meta.reassignments().isEmpty());
        assertFalse(meta.topic("bad").orElseThrow().partitions().isEmpty());
    }

    private interface Call {
        java.util.concurrent.CompletionStage<?> run();
    }

    private static void expect(Reason reason, Call call) throws Exception {
        try {
            call.run().toCompletableFuture().get(10, TimeUnit.SECONDS);
            fail("expected " + reason);
        } catch (ExecutionException e) {
            ConsensusException c = (ConsensusException) e.getCause();
            assertEquals(c.getMessage(), reason, c.reason());
        }
    }

    /** Appends one record per batch with sequence numbers, retrying each batch until it is acknowledged. */
    private void produce(long pid, List<String> acked, AtomicBoolean writing, AtomicReference<Throwable> failed) {
        try {
            for (int seq = 0; writing.get(); seq++) {
                String value = "v" + seq;
                long deadline = System.currentTimeMillis() + 60_000;
                while (true) {
                    PartitionLog leader = currentLeader("moving");
                    if (leader != null) {
                        try {
                            leader.append(TestNodes.idempotentBatch(pid, (short) 0, seq, value)).toCompletableFuture()
                                    .get(10, TimeUnit.SECONDS);
                            acked.add(value);
                            break;
                        } catch (ExecutionException e) {
                            if (!(e.getCause() instanceof ConsensusException c) || (c.reason() != Reason.NOT_LEADER
                                    && c.reason() != Reason.NOT_AVAILABLE)) {
                                throw e;
                            }
                        }
                    }
                    if (System.currentTimeMillis() > deadline) {
                        throw new AssertionError("record " + value + " not accepted within 60 s");
                    }
                    Thread.sleep(20);
                }
            }
        } catch (Throwable e) {
            failed.set(e);
        }
    }

    private PartitionLog currentLeader(String topic) {
        for (ChronikNode n : nodes) {
            PartitionLog l = n.replicas().log(topic, 0).orElse(null);
            if (l != null && l.isLeader()) {
                return l;
            }
        }
        return null;
    }

    private ChronikNode leaderNode(String topic) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionLog l = n.replicas().log(topic, 0).orElse(null);
                if (l != null && l.isLeader()) {
                    return n;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader of " + topic);
    }

    private static PartitionInfo partition(ChronikNode n) {
        return n.metadata().topic("moving").map(t -> t.partitions().get(0)).orElse(
                n.metadata().topic("stays").map(t -> t.partitions().get(0)).orElse(null));
    }

    private static void awaitCount(List<String> acked, int count) throws InterruptedException {
        awaitTrue(count + " records acknowledged", () -> acked.size() >= count, 60_000);
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void awaitTrue(String what, Condition c, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (c.holds()) {
                    return;
                }
            } catch (Exception e) {
                // not yet
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out: " + what);
    }

    private void awaitEverywhere(String what, Predicate<ChronikNode> condition, long timeoutMs) throws InterruptedException {
        awaitTrue(what, () -> nodes.stream().allMatch(condition), timeoutMs);
    }
}
