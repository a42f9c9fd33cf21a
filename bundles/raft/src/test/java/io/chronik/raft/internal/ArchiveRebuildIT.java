package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static io.chronik.raft.internal.ReplicaChecks.await;
import static io.chronik.raft.internal.ReplicaChecks.awaitSameData;
import static io.chronik.raft.internal.ReplicaChecks.leaderOf;
import static io.chronik.raft.internal.ReplicaChecks.leadsMetadata;
import static io.chronik.raft.internal.ReplicaChecks.produce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.archive.Archive;
import io.chronik.api.net.HostPort;
import io.chronik.archive.internal.TestArchives;
import io.chronik.storage.local.internal.LocalObjectStore;
import io.chronik.transport.grpc.internal.GrpcRaftTransport;

/**
 * A node whose disk was wiped rebuilds its partitions from the object store, not from the leader: three nodes in one
 * JVM archive their snapshots (every 20 entries) through the real archive into one storage-local store; the wiped
 * node fetches every group's newest archived snapshot (the fetch metric counts them) and catches up from the
 * leaders' log tail, and no leader sent it a snapshot (no install on any of its groups). Its partitions then hold
 * the leaders' batches byte for byte.
 */
public class ArchiveRebuildIT {
    private static final int THRESHOLD = 20;

    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    private final List<ChronikNode> nodes = new ArrayList<>();
    private final Map<Integer, NodeSettings> settings = new LinkedHashMap<>();
    private final Map<ChronikNode, ObjectSnapshotArchiver> archivers = new LinkedHashMap<>();
    private LocalObjectStore store;
    private Archive archive;

    @After
    public void stop() {
        nodes.forEach(ChronikNode::stop);
    }

    private ChronikNode startNode(int id) throws Exception {
        ChronikNode node = new ChronikNode(settings.get(id), new GrpcRaftTransport());
        node.snapshotSettings(SnapshotSettings.DEFAULT.withTimeThreshold(0));
        archivers.put(node, node.archiveSnapshots(() -> archive));
        node.start();
        nodes.add(node);
        return node;
    }

    private void startCluster() throws Exception {
        store = new LocalObjectStore(tmp.newFolder("objects").toPath(), "local");
        archive = TestArchives.archive("gzip", store, "local");
        Map<Integer, HostPort> peers = TestNodes.loopbackPeers(3);
        for (int id = 1; id <= 3; id++) {
            Path dir = tmp.newFolder("n" + id).toPath();
            settings.put(id, NodeSettings.singleNode(id, peers.get(id).port(), dir, FlushPolicy.OS).withPeers(peers)
                    .withSnapshotThreshold(THRESHOLD).withRaftSegmentSize(4096));
            startNode(id);
        }
        for (ChronikNode n : nodes) {
            n.ready().get(60, TimeUnit.SECONDS);
        }
        await("three brokers everywhere", () -> nodes.stream().allMatch(n -> n.metadata().brokers().size() == 3));
    }

    @Test
    public void aWipedNodeRebuildsFromTheObjectStore() throws Exception {
        startCluster();
        nodes.get(0).metadata().createTopic("wiped", 3, 3, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        List<ChronikNode> leaders = new ArrayList<>();
        for (int p = 0; p < 3; p++) {
            leaders.add(leaderOf(nodes, "wiped", p));
            produce(leaders.get(p), "wiped", p, 0, 200);
        }
        String cluster = nodes.get(0).metadataState().clusterId;
        for (int p = 0; p < 3; p++) {
            int groupNo = leaders.get(p).replicas().replica("wiped", p).group().groupNo();
            await("group " + groupNo + " archived", () -> {
                try {
                    return !archive.list(ArchiveKeys.manifests(cluster, groupNo)).isEmpty();
                } catch (java.io.IOException e) {
                    return false;
                }
            });
        }
        // Every node snapshots every group now, with no writes in between: the metadata log may not reach the snapshot
        // threshold by itself (its entries are registrations, the topic, leader and ISR reports, whose number varies
        // with timing), and a data group's leader may have purged its log beyond the newest archived snapshot (each
        // node snapshots and purges at its own indexes): then the rebuilt node would need the leader's snapshot after
        // all. Once these are archived, the newest archived snapshot of each group is as new as any node's.
        for (ChronikNode n : nodes) {
            for (org.apache.ratis.protocol.RaftGroupId g : n.serverOrNull().getGroupIds()) {
                org.apache.ratis.protocol.RaftClientReply r = n.serverOrNull().snapshotManagementAsync(
                        org.apache.ratis.protocol.SnapshotManagementRequest.newCreate(
                                org.apache.ratis.protocol.ClientId.randomId(), n.peerId(), g, 1, 30_000))
                        .get(30, TimeUnit.SECONDS);
                assertTrue("node " + n.settings().nodeId() + " snapshots " + g + ": " + r.getException(), r.isSuccess());
            }
        }
        await("the metadata archived", () -> {
            try {
                return !archive.list(ArchiveKeys.metadata(cluster)).isEmpty();
            } catch (java.io.IOException e) {
                return false;
            }
        });
        await("uploads finished", () -> archivers.values().stream().allMatch(ObjectSnapshotArchiver::idle));
        ChronikNode victim = nodes.stream().filter(n -> !leadsMetadata(n) && !leaders.contains(n)).findFirst()
                .orElse(nodes.stream().filter(n -> !leadsMetadata(n)).findFirst().orElseThrow());
        int victimId = victim.settings().nodeId();
        victim.stop();
        nodes.remove(victim);
        DataSnapshotStorage.deleteRecursively(settings.get(victimId).dataDir());
        Files.createDirectories(settings.get(victimId).dataDir());

        ChronikNode back = startNode(victimId);
        back.ready().get(60, TimeUnit.SECONDS);
        for (int p = 0; p < 3; p++) {
            produce(leaderOf(nodes, "wiped", p), "wiped", p, 200, 205); // the log tail after the archived snapshot
        }
        for (int p = 0; p < 3; p++) {
            awaitSameData(leaderOf(nodes, "wiped", p), back, "wiped", p);
            assertTrue("wiped-" + p + " was not rebuilt from a snapshot",
                    back.replicas().replica("wiped", p).checkpointIndex > 0);
        }
        SnapshotArchiveMetrics metrics = archivers.get(back).metrics();
        assertEquals("a snapshot of each group fetched from the object store", 3, metrics.fetches.sum());
        assertEquals(0, metrics.fetchFailures.sum());
        for (int p = 0; p < 3; p++) {
            DataStateMachine machine = back.replicas().replica("wiped", p).group().machine();
            assertEquals("wiped-" + p + ": the leader sent a snapshot", 0, machine.installs.get());
        }
    }
}
