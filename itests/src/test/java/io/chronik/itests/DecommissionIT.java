package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataResponseData;
import org.junit.Rule;
import org.junit.Test;

/**
 * Decommissioning a node of a four-node cluster (four processes, all metadata voters) with
 * {@code bin/chronik cluster decommission --node 4 --data-dir <node 4's data directory>}, run as an operator runs it
 * while an idempotent producer writes to every partition: the command ends with exit 0, node 4 is stopped, and the three
 * remaining nodes' Metadata shows no replica on node 4 and every partition (internal ones included) fully in sync, with
 * no acknowledged record lost or duplicated.
 */
public class DecommissionIT {
    private static final long DECOMMISSION_TIMEOUT_MS = 180_000;

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(4).args("--session-timeout-ms", "5000");

    @Test
    public void aDecommissionedNodeLeavesNoReplicaBehindAndLosesNothing() throws Exception {
        cluster.start();
        List<TopicPartition> partitions = new ArrayList<>();
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("decom-a", 4, (short) 3), new NewTopic("decom-b", 2, (short) 3)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        for (int p = 0; p < 4; p++) {
            partitions.add(new TopicPartition("decom-a", p));
        }
        partitions.add(new TopicPartition("decom-b", 0));
        partitions.add(new TopicPartition("decom-b", 1));
        ProcessCluster.await("replicas on node 4 before the decommission", 30_000, () -> {
            MetadataResponseData m = NodeRequests.metadata(cluster.kafkaPort(1), "decom-a", "decom-b");
            return NodeRequests.replicas(m, "decom-a").values().stream().anyMatch(r -> r.contains(4))
                    && NodeRequests.replicas(m, "decom-b").size() == 2;
        });

        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "decom", partitions, 300)) {
            load.awaitProgress(300, 30_000);
            ChronikProcess decommission = cluster.command("cluster", "decommission", "--node", "4",
                    "--data-dir", cluster.dataDir(4).toString());
            if (!decommission.process.waitFor(DECOMMISSION_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                decommission.close();
                throw new AssertionError("decommission did not end in " + DECOMMISSION_TIMEOUT_MS + " ms:\n" + decommission.output());
            }
            Thread.sleep(100);
            System.out.println("decommission:\n" + decommission.output());
            assertEquals(decommission.output(), 0, decommission.exitCode());
            assertTrue(decommission.output(), decommission.output().contains("ok: node 4 holds no replicas and no metadata vote"));
            load.awaitProgress(100, 30_000);

            cluster.stop(4);
            List<Integer> remaining = List.of(1, 2, 3);
            List<String> last = new ArrayList<>();
            ProcessCluster.await("no replica on node 4 and every ISR full on nodes 1-3", 60_000, () -> {
                last.clear();
                boolean ok = true;
                for (int id : remaining) {
                    MetadataResponseData m = NodeRequests.metadata(cluster.kafkaPort(id));
                    ok &= NodeRequests.brokers(m).equals(remaining);
                    for (MetadataResponseData.MetadataResponseTopic t : m.topics()) {
                        for (MetadataResponseData.MetadataResponsePartition p : t.partitions()) {
                            boolean good = !p.replicaNodes().contains(4) && p.leaderId() >= 0
                                    && (!t.name().startsWith("decom-") || p.replicaNodes().size() == 3)
                                    && new HashSet<>(p.isrNodes()).equals(new HashSet<>(p.replicaNodes()));
                            if (!good) {
                                last.add("node " + id + ": " + t.name() + "-" + p.partitionIndex() + " replicas "
                                        + p.replicaNodes() + " isr " + p.isrNodes() + " leader " + p.leaderId());
                            }
                            ok &= good;
                        }
                    }
                }
                return ok;
            }, () -> "last seen " + last);
            load.awaitProgress(100, 30_000);
            load.stop();
            System.out.println(LoadVerifier.assertExactlyOnce(cluster.bootstrap(), load, 60_000));
            assertTrue(load.toString(), load.acked() > 500);
        }
    }
}
