package io.chronik.itests;

import static org.junit.Assert.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.OptionalDouble;

import org.apache.kafka.common.TopicPartition;
import org.junit.Rule;
import org.junit.Test;

/**
 * A node loses its disk while the cluster takes writes (three processes, racks r1–r3, every data group snapshotting
 * every 200 entries into 64 KiB Raft log segments, so the leaders purge their logs past what the lost node had): it is
 * killed, its data directory deleted, and started again with the same flags. It rebuilds every partition from a
 * snapshot (its snapshot-install counter says so), rejoins every ISR, and a consumer in its rack, reading from it,
 * sees every acknowledged record exactly once at its acknowledged offset.
 */
public class WipedNodeRebuildIT {
    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(FollowerFetchSupport::rackOf)
            .args("--session-timeout-ms", "3000", "--snapshot-log-threshold", "200")
            .distribution(WipedNodeRebuildIT::smallRaftSegments);

    /** The distribution with 64 KiB Raft log segments (an appended setting wins), so that Ratis purges soon. */
    static Path smallRaftSegments() throws Exception {
        Path home = ChronikProcess.copyDistribution();
        Files.writeString(home.resolve("conf/config/io.chronik.raft.cfg"), "\nraft.segment.size.bytes=65536\n",
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        return home;
    }

    @Test
    public void aWipedNodeRebuildsFromSnapshotsAndServesEveryAcknowledgedRecord() throws Exception {
        cluster.start();
        List<TopicPartition> tps = FollowerFetchSupport.createLedByNode1(cluster, "rebuild", 2);
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "rebuild", tps, 300)) {
            load.awaitProgress(1_000, 60_000);
            cluster.kill(3);
            cluster.wipe(3);
            load.awaitProgress(3_000, 120_000); // far past the snapshot threshold: the leaders purge their logs
            cluster.restart(3);
            ProcessCluster.await("node 3 back in every ISR", 120_000, () -> cluster.inAllIsrs(3, tps.get(0).topic()));
            OptionalDouble installs = FollowerFetchSupport.counter(cluster, 3, "chronik_raft_snapshot_installs_total");
            System.out.println("node 3 installed " + installs + " snapshot(s)");
            assertTrue("node 3 installed no snapshot", installs.isPresent() && installs.getAsDouble() > 0);

            load.awaitProgress(500, 60_000);
            load.stop();
            try (RackReader reader = new RackReader(cluster.bootstrap(), "r3", tps)) {
                reader.awaitAcknowledged(load, 120_000);
                System.out.println(reader.assertReadExactlyOnce(load) + "; bytes from nodes 1, 2, 3: "
                        + reader.bytesFrom(1) + ", " + reader.bytesFrom(2) + ", " + reader.bytesFrom(3));
                assertTrue("the r3 consumer read " + reader.bytesFrom(3) + " bytes from node 3",
                        reader.bytesFrom(3) > 10_000);
            }
            System.out.println(LoadVerifier.assertExactlyOnce(cluster.bootstrap(), load, 60_000));
        }
    }
}
