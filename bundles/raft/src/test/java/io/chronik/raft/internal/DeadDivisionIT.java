package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.server.RaftServer;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * A follower's data division that Ratis closed while the node runs (as Ratis 3.2.1 does when a division fails, e.g.
 * "gap between entries" after reset connections) is restarted from its storage by the node
 * ({@code MetadataReconciler.restartDeadDivisions}) and catches up: the replica holds every record again.
 */
public class DeadDivisionIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void aClosedFollowerDivisionIsRestartedAndCatchesUp() throws Exception {
        TestNodes.startCluster(tmp, 3, s -> s, GrpcRaftTransport::new, nodes);
        nodes.get(0).metadata().createTopic("revived", List.of(List.of(1, 2, 3)), Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        ChronikNode leaderNode = null;
        for (ChronikNode n : nodes) {
            PartitionReplica r = n.replicas().replica("revived", 0);
            if (r != null && r.isLeader()) {
                leaderNode = n;
            }
        }
        if (leaderNode == null) {
            leaderNode = nodes.get(0);
        }
        PartitionLog leader = TestNodes.awaitLeader(leaderNode, "revived", 0);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            written.add("before-" + i);
            leader.append(TestNodes.batch("before-" + i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        ChronikNode follower = nodes.get(nodes.get(0) == leaderNode ? 1 : 0);
        PartitionReplica replica = follower.replicas().replica("revived", 0);
        RaftServer.Division dead = replica.group().division();
        dead.close(); // what Ratis does to a division that fails; it stays registered with the server
        assertTrue("closed", !dead.getInfo().isAlive());

        for (int i = 0; i < 20; i++) {
            written.add("after-" + i);
            leader.append(TestNodes.batch("after-" + i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        long deadline = System.currentTimeMillis() + 60_000;
        RaftServer.Division revived = null;
        while (System.currentTimeMillis() < deadline) {
            RaftServer.Division d = follower.replicas().replica("revived", 0) == null ? null
                    : follower.replicas().replica("revived", 0).group().division();
            if (d != null && d != dead && d.getInfo().isAlive()) {
                PartitionLog log = follower.replicas().log("revived", 0).orElse(null);
                if (log != null && log.highWatermark() == written.size()) {
                    revived = d;
                    break;
                }
            }
            Thread.sleep(100);
        }
        assertTrue("the follower's division was restarted and caught up within 60 s", revived != null);
        assertNotSame(dead, revived);
        List<String> values = new ArrayList<>();
        for (String r : TestNodes.readAll(follower.replicas().log("revived", 0).orElseThrow(), 0)) {
            values.add(r.substring(r.indexOf(':') + 1));
        }
        assertEquals(written, values);
    }
}
