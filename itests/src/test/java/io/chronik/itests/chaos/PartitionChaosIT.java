package io.chronik.itests.chaos;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;

import java.util.List;

import org.apache.kafka.common.message.MetadataResponseData;
import org.junit.Rule;
import org.junit.Test;

import io.chronik.itests.jvm.RawKafka;

/**
 * Network partitions on the Raft links of a three-process cluster (see {@link ChaosCluster}), with writes checked by
 * {@link HistoryChecker}.
 */
public class PartitionChaosIT {
    private static final String TOPIC = "chaos-partition";

    @Rule
    public final ChaosCluster cluster = new ChaosCluster(3).args("--session-timeout-ms", "3000",
            "--auto-leader-rebalance-enable", "false");

    /**
     * The leader of partition 0 is cut off from both followers on every Raft link (both directions blackholed; its
     * Kafka port stays reachable) for 20 s while an idempotent producer writes to three partitions and a probe writes
     * to partition 0 on each node separately; then the links heal.
     *
     * <p>Pass rule: (1) the two other nodes elect a leader of partition 0 among themselves; (2) the isolated node
     * acknowledges no write sent to it after the cut (no probe acknowledged by it more than 4 s after the cut — a
     * write already in flight may finish); (3) writes keep being acknowledged during the partition; (4) after the
     * heal every replica is in sync again and the history check is clean: no acknowledged write lost, none
     * duplicated, offsets contiguous, all replicas identical, and no leader epoch in which two nodes acknowledged
     * writes (split brain).
     */
    @Test
    public void anIsolatedLeaderStopsAcknowledgingAndTheLogsConvergeAfterTheHeal() throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        cluster.createTopic(TOPIC, 3);
        long started = System.currentTimeMillis();
        int old = cluster.leader(TOPIC, 0);
        History history = new History();
        HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 150, history, 60_000);
        NodeProbe probe = new NodeProbe("probe", TOPIC, 0, cluster.ids(), cluster::proxyPort, 100, history);
        try {
            writer.awaitProgress(300, 30_000);
            long cut = System.currentTimeMillis();
            cluster.isolateRaft(old);
            List<Integer> majority = cluster.ids().stream().filter(id -> id != old).toList();
            ChaosCluster.await("a leader of partition 0 on the majority side " + majority, 60_000,
                    () -> majority.stream().allMatch(n -> majority.contains(leaderSeenBy(n, 0))),
                    () -> "seen by " + majority + ": " + majority.stream().map(n -> leaderSeenBy(n, 0)).toList());
            long elected = System.currentTimeMillis() - cut;
            writer.awaitProgress(500, 60_000);
            long remaining = 20_000 - (System.currentTimeMillis() - cut);
            if (remaining > 0) {
                Thread.sleep(remaining);
            }
            long healed = System.currentTimeMillis();
            cluster.healAll();
            writer.awaitProgress(300, 60_000);
            writer.stop();
            probe.close();

            List<History.Ack> late = history.acks().stream()
                    .filter(a -> a.node() == old && a.atMillis() > cut + 4_000 && a.atMillis() < healed).toList();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("PartitionChaosIT isolated leader " + old + "; majority leader elected in " + elected
                    + " ms; history check:\n" + report);
            report.assertClean();
            assertEquals("the isolated node acknowledged writes during the partition: " + late, List.of(), late);
            assertNotEquals(-1, cluster.leader(TOPIC, 0));
        } finally {
            writer.close();
            probe.close();
            System.out.println("PartitionChaosIT.anIsolatedLeader... took " + (System.currentTimeMillis() - t0)
                    + " ms (cluster start " + (started - t0) + " ms)");
        }
    }

    /** The leader of {@code partition} as node {@code node} reports it in Metadata, -1 if none or unreachable. */
    private int leaderSeenBy(int node, int partition) {
        try {
            MetadataResponseData m = RawKafka.metadata(cluster.directPort(node), TOPIC);
            return m.topics().iterator().next().partitions().get(partition).leaderId();
        } catch (Exception e) {
            return -1;
        }
    }
}
