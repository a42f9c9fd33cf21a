package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLog.AppendResult;
import io.chronik.api.net.HostPort;
import io.chronik.ratis.rpc.TransportObserver.Kind;
import io.chronik.transport.memory.MemoryNetwork;
import io.chronik.transport.memory.internal.MemoryRaftTransport;

/**
 * Three {@link ChronikNode}s in one JVM on the memory transport: a replicated partition, its leader cut off from the
 * other two (it acknowledges nothing, the majority elects a new leader and goes on), and one log on every replica once
 * the network heals; the transport's traffic in the node's metrics.
 */
public class MemoryTransportIT {
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
    public void isolatedLeaderAcknowledgesNothingAndTheLogsConvergeAfterHeal() throws Exception {
        long start = System.nanoTime();
        Map<Integer, HostPort> peers = TestNodes.startCluster(tmp, 3, s -> s, MemoryRaftTransport::new, nodes);
        long ready = System.nanoTime() - start;
        long deadline = System.currentTimeMillis() + 30_000;
        while (nodes.stream().anyMatch(n -> n.metadataState().liveBrokers().size() < 3)
                && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertTrue("three nodes ready in " + ready / 1_000_000 + " ms", ready < TimeUnit.SECONDS.toNanos(15));
        for (HostPort p : peers.values()) {
            assertTrue(network.isBound(p.toString()));
        }

        nodes.get(1).metadata().createTopic("cut", 1, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ChronikNode leaderNode = awaitLeader(null);
        PartitionReplica leader = leaderNode.replicas().replica("cut", 0);
        for (int i = 0; i < 10; i++) {
            assertEquals(i, leader.append(TestNodes.batch("v" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .baseOffset());
        }

        // the leader loses the other two: what it is given now is never acknowledged
        network.isolate(leaderNode.settings().raftAddr().toString());
        List<CompletableFuture<AppendResult>> cutOffs = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            cutOffs.add(leader.append(TestNodes.batch("lost-" + i)).toCompletableFuture());
        }
        CompletableFuture<AppendResult> cutOff = cutOffs.get(0);
        ChronikNode fresh = awaitLeader(leaderNode);
        assertNotEquals(leaderNode, fresh);
        PartitionReplica newLeader = fresh.replicas().replica("cut", 0);
        assertTrue(newLeader.leaderEpoch() > leader.leaderEpoch() || newLeader.leaderEpoch() > 0);
        for (int i = 10; i < 15; i++) {
            assertEquals(i, newLeader.append(TestNodes.batch("v" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS)
                    .baseOffset());
        }
        for (CompletableFuture<AppendResult> c : cutOffs) {
            assertFalse("the isolated leader acknowledged a write", c.isDone() && !c.isCompletedExceptionally());
        }

        network.heal();
        try {
            cutOff.get(30, TimeUnit.SECONDS);
            throw new AssertionError("the isolated leader's write was acknowledged");
        } catch (ExecutionException expected) {
            // failed (not leader any more): the client retries elsewhere
        } catch (TimeoutException e) {
            throw new AssertionError("the isolated leader's write neither failed nor succeeded after the heal", e);
        }
        List<String> expected = TestNodes.readAll(newLeader, 0);
        assertEquals(15, expected.size());
        for (ChronikNode n : nodes) {
            PartitionReplica r = n.replicas().replica("cut", 0);
            long until = System.currentTimeMillis() + 30_000;
            while (r.highWatermark() < 15 && System.currentTimeMillis() < until) {
                Thread.sleep(20);
            }
            assertEquals("node " + n.settings().nodeId(), expected, TestNodes.readAll(r, 0));
        }

        long[] appends = fresh.transportMetrics().counts("memory", leaderNode.peerId().toString(), Kind.APPEND);
        assertTrue("appends from the new leader to the old one: " + java.util.Arrays.toString(appends),
                appends[0] > 0 && appends[1] > 0);
        assertTrue(fresh.transportMetrics().connections("memory", leaderNode.peerId().toString()) > 0);
    }

    private ChronikNode awaitLeader(ChronikNode not) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica("cut", 0);
                if (n != not && r != null && r.isLeader() && r.group().division().getInfo().isLeaderReady()) {
                    return n;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no leader for cut-0");
    }
}
