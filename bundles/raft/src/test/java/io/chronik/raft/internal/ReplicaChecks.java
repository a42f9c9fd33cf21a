package io.chronik.raft.internal;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.RecordBatch;

import io.chronik.api.consensus.PartitionLog;

/**
 * What the snapshot tests on in-JVM nodes share: finding a partition's leader, producing to it, and checking that a
 * rebuilt replica holds the leader's batches byte for byte (offsets, epochs, CRCs).
 */
final class ReplicaChecks {
    private ReplicaChecks() {
    }

    static boolean leadsMetadata(ChronikNode n) {
        return n.metadata().controllerId() == n.settings().nodeId();
    }

    /** The node whose replica of the partition leads its group and is ready (at most 60 s). */
    static ChronikNode leaderOf(List<ChronikNode> nodes, String topic, int partition) throws InterruptedException {
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

    /** Appends values from..to-1, one entry each, at most 8 in flight, waiting for every acknowledgement. */
    static void produce(ChronikNode leader, String topic, int partition, int from, int to) throws Exception {
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
    static void awaitSameData(ChronikNode leader, ChronikNode node, String topic, int partition) throws Exception {
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

    /** Every batch of the replica's log, as stored. */
    static byte[] bytes(PartitionReplica r) throws Exception {
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

    /** Polls {@code condition} every 50 ms for at most 60 s. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }
}
