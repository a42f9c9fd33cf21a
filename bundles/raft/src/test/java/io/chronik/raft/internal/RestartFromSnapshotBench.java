package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.SimpleRecord;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLog;

/**
 * Benchmark, not run by the build (its name matches neither {@code *Test} nor {@code *IT}): how long a node takes to
 * come back with the same data (1) replaying its Raft log (it went down without a snapshot: every partition log is
 * rebuilt from the entries) and (2) from its local snapshot (taken at shutdown: nothing to replay); three restarts
 * each, from start until the partition is back at its end offset (leader election included). One node, one
 * partition, {@code chronik.bench.entries} entries (default 20,000) of 10 records of 100 bytes. Run with
 * <pre>
 * mvn -o -q verify -pl bundles/raft -am -Dtest=NONE -Dit.test=RestartFromSnapshotBench \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false
 * </pre>
 * and read the "restart" lines in {@code bundles/raft/target/failsafe-reports/*RestartFromSnapshotBench-output.txt}.
 */
public class RestartFromSnapshotBench {
    @Rule
    public TemporaryFolder tmp = new TemporaryFolder();

    @Test
    public void replayVersusSnapshot() throws Exception {
        int entries = Integer.getInteger("chronik.bench.entries", 20_000);
        Path dir = tmp.newFolder("node").toPath();
        NodeSettings settings = NodeSettings.singleNode(1, TestNodes.freePort(), dir, FlushPolicy.OS)
                .withSnapshotThreshold(100_000_000L); // no snapshot while producing
        ChronikNode node = start(settings, false); // down without a snapshot: the restart replays the Raft log
        node.metadata().createTopic("bench", 1, 1, Map.of()).toCompletableFuture().get(30, TimeUnit.SECONDS);
        PartitionLog log = TestNodes.awaitLeader(node, "bench", 0);
        byte[] value = new byte[100];
        List<CompletableFuture<?>> inflight = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            SimpleRecord[] records = new SimpleRecord[10];
            for (int j = 0; j < records.length; j++) {
                records[j] = new SimpleRecord(System.currentTimeMillis(), null, value);
            }
            ByteBuffer batch = MemoryRecords.withRecords(Compression.NONE, records).buffer();
            inflight.add(log.append(batch).toCompletableFuture());
            if (inflight.size() >= 64) {
                inflight.remove(0).get(30, TimeUnit.SECONDS);
            }
        }
        for (CompletableFuture<?> f : inflight) {
            f.get(30, TimeUnit.SECONDS);
        }
        long end = log.highWatermark();
        long bytes = node.replicas().replica("bench", 0).segmentLog().sizeInBytes();
        node.stop();

        long[] replay = new long[3];
        long[] snapshot = new long[3];
        for (int i = 0; i < 3; i++) {
            replay[i] = restart(settings, end, i == 2); // each run stops without a snapshot but the last ...
        }
        for (int i = 0; i < 3; i++) {
            snapshot[i] = restart(settings, end, true); // ... whose snapshot these runs start from
        }
        java.util.Arrays.sort(replay);
        java.util.Arrays.sort(snapshot);
        System.out.printf("restart with %d entries (%d records, %d bytes), median of 3 (min, max): replaying the Raft log "
                + "%d ms (%d, %d), from the local snapshot %d ms (%d, %d)%n", entries, end, bytes, replay[1], replay[0],
                replay[2], snapshot[1], snapshot[0], snapshot[2]);
    }

    /** Starts a node that takes a snapshot when it stops, or not (Ratis reads the flag when the node starts). */
    private static ChronikNode start(NodeSettings settings, boolean snapshotOnStop) throws Exception {
        ChronikNode node = new ChronikNode(settings, new io.chronik.transport.grpc.internal.GrpcRaftTransport());
        node.snapshotOnStop = snapshotOnStop;
        node.start();
        node.ready().get(60, TimeUnit.SECONDS);
        return node;
    }

    /** Starts the node and waits until its partition is back at {@code end}; stops it with or without a snapshot. */
    private static long restart(NodeSettings settings, long end, boolean snapshotOnStop) throws Exception {
        long started = System.nanoTime();
        ChronikNode node = start(settings, snapshotOnStop);
        PartitionLog log = TestNodes.awaitLeader(node, "bench", 0);
        while (log.highWatermark() < end) {
            Thread.sleep(1);
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        assertEquals(end, log.highWatermark());
        node.stop();
        return ms;
    }
}
