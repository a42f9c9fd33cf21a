package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
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
 * A node that stops gracefully hands the groups it leads to followers first ({@link LeadershipHandover}). The
 * election timeouts here are long (5–6 s), so that a follower taking over at once can only be the handover, not an
 * election after a timeout.
 */
public class LeadershipHandoverIT {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    @Test
    public void aStoppingLeaderHandsItsGroupsToFollowersAndNothingIsLost() throws Exception {
        TestNodes.startCluster(tmp, 3, s -> s.withSessionTimeout(30_000).withElectionTimeouts(5000, 6000),
                GrpcRaftTransport::new, nodes);
        nodes.get(0).metadata().createTopic("handed", List.of(List.of(1, 2, 3)), Map.of()).toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        ChronikNode leader = leaderOf("handed");
        PartitionLog log = TestNodes.awaitLeader(leader, "handed", 0);
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            written.add("before-" + i);
            log.append(TestNodes.batch("before-" + i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        // the handover alone, the leader still running: a follower leads when it returns
        int handed = LeadershipHandover.handOver(leader.serverOrNull(), leader.settings().electionTimeoutMinMs(),
                PreferredLeaders.transferTimeoutMs(leader.settings()));
        assertTrue("at least the data group was handed over: " + handed, handed >= 1);
        assertFalse("node " + leader.settings().nodeId() + " no longer leads",
                leader.replicas().replica("handed", 0).isLeader());
        ChronikNode successor = leaderOf("handed");
        assertTrue("a follower took over", successor != leader);
        PartitionLog moved = TestNodes.awaitLeader(successor, "handed", 0);
        for (int i = 0; i < 20; i++) {
            written.add("after-" + i);
            moved.append(TestNodes.batch("after-" + i)).toCompletableFuture().get(10, TimeUnit.SECONDS);
        }

        // a graceful stop of the new leader hands over again; the last node standing with it has every record
        successor.stop();
        nodes.remove(successor);
        ChronikNode third = leaderOf("handed");
        assertNotNull(third);
        PartitionLog last = TestNodes.awaitLeader(third, "handed", 0);
        written.add("last");
        last.append(TestNodes.batch("last")).toCompletableFuture().get(10, TimeUnit.SECONDS);
        List<String> values = new ArrayList<>();
        for (String r : TestNodes.readAll(last, 0)) {
            values.add(r.substring(r.indexOf(':') + 1));
        }
        assertEquals(written, values);
    }

    /** The node leading the topic's partition 0 now, without waiting (null if none does). */
    private ChronikNode leaderOf(String topic) {
        for (ChronikNode n : nodes) {
            PartitionReplica r = n.replicas().replica(topic, 0);
            if (r != null && r.isLeader()) {
                return n;
            }
        }
        return null;
    }
}
