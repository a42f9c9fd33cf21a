package io.chronik.raft.internal;

import static org.junit.Assert.assertTrue;
import static io.chronik.raft.internal.ReplicaChecks.await;
import static io.chronik.raft.internal.ReplicaChecks.awaitSameData;
import static io.chronik.raft.internal.ReplicaChecks.leaderOf;
import static io.chronik.raft.internal.ReplicaChecks.leadsMetadata;
import static io.chronik.raft.internal.ReplicaChecks.produce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.net.HostPort;
import io.chronik.ratis.rpc.TransportObserver.Kind;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * Snapshots that carry the data, on three nodes in one JVM with a snapshot every 20 entries: a follower that was down
 * while the leader snapshotted and purged its log past it catches up by installing the leader's snapshot (data groups
 * and the metadata group) and then the log tail; a node whose data directory was deleted rebuilds every partition
 * from the leader's snapshot. Raft log segments of 4 KiB let Ratis purge after a few dozen entries. Either way its partitions hold the same batches, byte for byte (offsets, epochs, CRCs),
 * as the leader's.
 */
public class SnapshotInstallIT {
    private static final int THRESHOLD = 20;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();
    private final Map<Integer, NodeSettings> settings = new LinkedHashMap<>();

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    private void startCluster() throws Exception {
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        for (int id = 1; id <= 3; id++) {
            Path dir = tmp.newFolder("n" + id).toPath();
            settings.put(id, NodeSettings.singleNode(id, peers.get(id).port(), dir, FlushPolicy.OS).withPeers(peers)
                    .withSnapshotThreshold(THRESHOLD).withRaftSegmentSize(4096)); // Ratis purges whole segments
            ChronikNode node = new ChronikNode(settings.get(id), new GrpcRaftTransport());
            node.start();
            nodes.add(node);
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        await("three brokers everywhere", () -> nodes.stream().allMatch(n -> n.metadata().brokers().size() == 3));
    }

    @Test
    public void aFollowerBehindThePurgedLogCatchesUpBySnapshot() throws Exception {
        startCluster();
        nodes.get(0).metadata().createTopic("data", 2, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        ChronikNode leaderNode = leaderOf(nodes, "data", 0);
        produce(leaderNode, "data", 0, 0, 30);
        ChronikNode victim = nodes.stream().filter(n -> n != leaderNode && !leadsMetadata(n)).findFirst().orElseThrow();
        int victimId = victim.settings().nodeId();
        long victimApplied = victim.replicas().replica("data", 0).group().lastAppliedIndex();
        victim.stop();
        nodes.remove(victim);

        // far past the threshold: the leader snapshots and purges its log beyond what the victim has
        produce(leaderNode, "data", 0, 30, 300);
        for (int i = 0; i < 3 * THRESHOLD; i++) { // metadata entries too: the metadata group purges as well
            nodes.get(0).metadata().createTopic("meta-" + i, 1, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
        PartitionReplica leaderReplica = leaderNode.replicas().replica("data", 0);
        await("the leader's log purged past the stopped follower", () -> {
            var d = leaderReplica.group().division();
            return d != null && d.getRaftLog().getStartIndex() > victimApplied + 1;
        });

        ChronikNode back = new ChronikNode(settings.get(victimId), new GrpcRaftTransport());
        back.start();
        nodes.add(back);
        back.ready().get(60, TimeUnit.SECONDS);
        produce(leaderNode, "data", 0, 300, 310); // the log tail after the snapshot
        awaitSameData(leaderNode, back, "data", 0);
        await("the metadata snapshot installed", () -> back.metadata().topic("meta-" + (3 * THRESHOLD - 1)).isPresent());
        assertTrue("no metadata snapshot was installed", back.snapshotMetrics().installs(SnapshotMetrics.METADATA) > 0);
        String group = SnapshotMetrics.dataGroup(back.replicas().replica("data", 0).group().groupNo());
        assertTrue("no data snapshot was installed", back.snapshotMetrics().installs(group) > 0);
        assertTrue(leaderNode.snapshotMetrics().taken(group) > 0);
        // the transport counted it: chunks (and bytes) sent by the data leader, one stream completed; received there
        long[] sent = leaderNode.transportMetrics().counts("grpc", back.peerId().toString(), Kind.SNAPSHOT);
        assertTrue("snapshot traffic to the follower: " + Arrays.toString(sent), sent[0] > 0 && sent[1] > 0 && sent[4] > 0);
        long[] got = back.transportMetrics().counts("grpc", leaderNode.peerId().toString(), Kind.SNAPSHOT);
        assertTrue("snapshot traffic from the leader: " + Arrays.toString(got), got[2] > 0 && got[3] > 0 && got[0] > 0);
    }

    @Test
    public void aNodeWithAWipedDiskRebuildsFromTheLeader() throws Exception {
        startCluster();
        nodes.get(0).metadata().createTopic("wiped", 3, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<ChronikNode> leaders = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            leaders.add(leaderOf(nodes, "wiped", p));
            produce(leaders.get(p), "wiped", p, 0, 200);
        }
        ChronikNode victim = nodes.stream().filter(n -> !leadsMetadata(n) && !leaders.contains(n)).findFirst()
                .orElse(nodes.stream().filter(n -> !leadsMetadata(n)).findFirst().orElseThrow());
        int victimId = victim.settings().nodeId();
        victim.stop();
        nodes.remove(victim);
        DataSnapshotStorage.deleteRecursively(settings.get(victimId).dataDir());
        Files.createDirectories(settings.get(victimId).dataDir());

        for (int p = 0; p < 3; p++) {
            leaders.set(p, leaderOf(nodes, "wiped", p));
            produce(leaders.get(p), "wiped", p, 200, 260);
        }
        ChronikNode back = new ChronikNode(settings.get(victimId), new GrpcRaftTransport());
        back.start();
        nodes.add(back);
        back.ready().get(60, TimeUnit.SECONDS);
        for (int p = 0; p < 3; p++) {
            awaitSameData(leaderOf(nodes, "wiped", p), back, "wiped", p);
            assertTrue("wiped-" + p + " was not rebuilt from a snapshot",
                    back.replicas().replica("wiped", p).checkpointIndex > 0);
        }
        await("the rebuilt node back in every ISR", () -> nodes.stream().allMatch(n -> n.metadata().topic("wiped").get()
                .partitions().stream().allMatch(pi -> pi.inSyncReplicas().contains(victimId))));
    }
}
