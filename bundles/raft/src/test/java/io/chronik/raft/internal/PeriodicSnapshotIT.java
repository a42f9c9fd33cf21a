package io.chronik.raft.internal;

import static org.junit.Assert.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.ratis.server.RaftServer;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * snapshot.time.threshold.secs: a group that applied entries, far fewer than the log threshold, takes a snapshot
 * within the time threshold (Ratis' snapshot management API on the division).
 */
public class PeriodicSnapshotIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private ChronikNode node;

    @After
    public void stop() {
        if (node != null) {
            node.stop();
        }
    }

    @Test
    public void aGroupThatAppliedEntriesIsSnapshottedWithinTheTimeThreshold() throws Exception {
        NodeSettings s = NodeSettings.singleNode(1, TestNodes.freePort(), tmp.newFolder("n1").toPath(), FlushPolicy.OS)
                .withSnapshotThreshold(100_000);
        node = new ChronikNode(s, new GrpcRaftTransport());
        node.snapshotSettings(SnapshotSettings.DEFAULT.withTimeThreshold(1));
        node.start();
        node.ready().get(60, TimeUnit.SECONDS);
        node.metadata().createTopic("periodic", 1, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        PartitionLog log = TestNodes.awaitLeader(node, "periodic", 0);
        for (int i = 0; i < 5; i++) {
            log.append(TestNodes.batch("v" + i)).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        RaftServer.Division d = node.replicas().replica("periodic", 0).group().division();
        long applied = d.getInfo().getLastAppliedIndex();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (true) {
            SnapshotInfo latest = d.getStateMachine().getLatestSnapshot();
            if (latest != null && latest.getIndex() >= applied) {
                break;
            }
            assertTrue("no snapshot at " + applied + " within 20 s (latest " + latest + ")", System.nanoTime() < deadline);
            Thread.sleep(50);
        }
    }
}
