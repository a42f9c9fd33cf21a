package io.chronik.raft.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.archive.Archive;
import io.chronik.api.consensus.PartitionLog;
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
            leaders.add(leaderOf("wiped", p));
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
            produce(leaderOf("wiped", p), "wiped", p, 200, 205); // the log tail after the archived snapshot
        }
        for (int p = 0; p < 3; p++) {
            awaitSameData(leaderOf("wiped", p), back, "wiped", p);
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

    private static boolean leadsMetadata(ChronikNode n) {
        return n.metadata().controllerId() == n.settings().nodeId();
    }

    private ChronikNode leaderOf(String topic, int partition) throws Exception {
        ChronikNode[] found = new ChronikNode[1];
        await("a leader of " + topic + "-" + partition, () -> {
            for (ChronikNode n : nodes) {
                PartitionReplica r = n.replicas().replica(topic, partition);
                if (r != null && r.isLeader() && r.group().isLeaderReady()) {
                    found[0] = n;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    /** Appends values from..to-1, one entry each, waiting for each acknowledgement. */
    private static void produce(ChronikNode leader, String topic, int partition, int from, int to) throws Exception {
        PartitionLog log = TestNodes.awaitLeader(leader, topic, partition);
        List<CompletableFuture<?>> acks = new ArrayList<>();
        for (int i = from; i < to; i++) {
            acks.add(log.append(TestNodes.batch(topic + "-" + partition + "-" + i)).toCompletableFuture());
            if (acks.size() >= 8) {
                acks.remove(0).get(30, TimeUnit.SECONDS);
            }
        }
        for (CompletableFuture<?> f : acks) {
            f.get(30, TimeUnit.SECONDS);
        }
    }

    /** Waits until {@code node}'s replica ends where the leader's does, then compares their bytes. */
    private static void awaitSameData(ChronikNode leader, ChronikNode node, String topic, int partition) throws Exception {
        PartitionReplica lead = leader.replicas().replica(topic, partition);
        await(topic + "-" + partition + " on node " + node.settings().nodeId() + " caught up", () -> {
            PartitionReplica r = node.replicas().replica(topic, partition);
            return r != null && !r.isClosed() && r.segmentLog().logEndOffset() == lead.segmentLog().logEndOffset();
        });
        PartitionReplica copy = node.replicas().replica(topic, partition);
        assertEquals(lead.segmentLog().logStartOffset(), copy.segmentLog().logStartOffset());
        byte[] expected = bytes(lead);
        assertTrue(expected.length > 0);
        assertArrayEquals(topic + "-" + partition + ": the batches differ", expected, bytes(copy));
    }

    private static byte[] bytes(PartitionReplica r) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long next = r.segmentLog().logStartOffset();
        long end = r.segmentLog().logEndOffset();
        while (next < end) {
            ByteBuffer buf = r.segmentLog().read(next, 1 << 20, end);
            if (!buf.hasRemaining()) {
                break;
            }
            for (RecordBatch b : MemoryRecords.readableRecords(buf).batches()) {
                if (b.lastOffset() >= next) {
                    ByteBuffer copy = ByteBuffer.allocate(b.sizeInBytes());
                    b.writeTo(copy);
                    out.write(copy.array());
                }
                next = b.lastOffset() + 1;
            }
        }
        return out.toByteArray();
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
