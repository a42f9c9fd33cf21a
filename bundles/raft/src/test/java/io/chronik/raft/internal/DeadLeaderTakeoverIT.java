package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Three nodes in one JVM over gRPC with election timeouts of 6-12 s: when the node leading a data group stops
 * (without a checkpoint, like a crash), its connections close and its Raft port refuses, and a survivor leads the
 * group well before any election timeout could have passed ({@link DeadLeaderTakeover}); it takes writes.
 */
public class DeadLeaderTakeoverIT {
    private static final long ELECTION_MIN_MS = 6000;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void aSurvivorLeadsBeforeAnyElectionTimeout() throws Exception {
        TestNodes.startCluster(tmp, 3, s -> s.withElectionTimeouts(ELECTION_MIN_MS, 2 * ELECTION_MIN_MS),
                GrpcRaftTransport::new, nodes);
        nodes.get(0).metadata().createTopic("t", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ChronikNode leaderNode = awaitLeaderNode(60_000);
        PartitionLog leader = leaderNode.replicas().replica("t", 0);
        for (int i = 0; i < 5; i++) {
            assertEquals(i, leader.append(TestNodes.batch("v" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .baseOffset());
        }
        int oldEpoch = leader.leaderEpoch();

        leaderNode.snapshotOnStop = false;
        leaderNode.stop(); // its connections close during the stop; it heartbeated last before the stop began
        long stopped = System.nanoTime();
        nodes.remove(leaderNode);
        ChronikNode nextNode = awaitLeaderNode(3 * ELECTION_MIN_MS);
        long ms = (System.nanoTime() - stopped) / 1_000_000;
        assertTrue("a survivor led " + ms + " ms after the leader's stop returned; the minimum election timeout is "
                + ELECTION_MIN_MS + " ms", ms < ELECTION_MIN_MS / 2);
        PartitionLog next = nextNode.replicas().replica("t", 0);
        assertTrue(next.leaderEpoch() > oldEpoch);
        assertEquals(5, next.append(TestNodes.batch("after")).toCompletableFuture().get(30, TimeUnit.SECONDS)
                .baseOffset());
        assertEquals("5:after", TestNodes.readAll(next, 0).get(5));
    }

    /** The node whose replica of t-0 leads, ready for entries. */
    private ChronikNode awaitLeaderNode(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica("t", 0);
                if (r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    return n;
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no leader of t-0 within " + timeoutMs + " ms");
    }
}
