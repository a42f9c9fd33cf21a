package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.Rule;
import org.junit.Test;

/**
 * Preferred leader election in a three-process cluster: after a broker is killed and restarted, leadership returns to
 * it automatically within the imbalance check interval, or, with automatic rebalance off, on demand through Kafka's
 * {@code kafka-leader-election} tool ({@code org.apache.kafka.tools.LeaderElectionCommand}) and the Admin client.
 */
public class LeaderElectionIT {
    private static final String TOPIC = "elect";
    private static final String TOOL = "org.apache.kafka.tools.LeaderElectionCommand";

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3);

    private void startCluster(String... extra) throws Exception {
        cluster.start(extra);
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private List<TopicPartitionInfo> partitions() throws Exception {
        try (Admin admin = cluster.admin()) {
            TopicDescription d = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC);
            return d.partitions();
        }
    }

    private static int leader(TopicPartitionInfo p) {
        return p.leader() == null ? -1 : p.leader().id();
    }

    private boolean awaitPreferredLeaders(long ms) throws Exception {
        long deadline = System.currentTimeMillis() + ms;
        while (true) {
            boolean all = true;
            for (TopicPartitionInfo p : partitions()) {
                all &= leader(p) == p.replicas().get(0).id();
            }
            if (all || System.currentTimeMillis() > deadline) {
                return all;
            }
            Thread.sleep(250);
        }
    }

    /** SIGKILLs the preferred leader of partition 0, waits for another leader, restarts it; returns its node id. */
    private int killAndRestartPreferredOfPartition0() throws Exception {
        int victim = partitions().get(0).replicas().get(0).id();
        cluster.kill(victim);
        long deadline = System.currentTimeMillis() + 60_000;
        int leader = -1;
        while (System.currentTimeMillis() < deadline) {
            leader = leader(partitions().get(0));
            if (leader != -1 && leader != victim) {
                break;
            }
            Thread.sleep(250);
        }
        assertTrue("partition 0 got no new leader (" + leader + ")", leader != -1 && leader != victim);
        cluster.restart(victim);
        return victim;
    }

    @Test
    public void leadershipReturnsAutomaticallyWithinTheCheckInterval() throws Exception {
        startCluster("--leader-imbalance-check-interval-seconds", "2");
        assertTrue("leaders never balanced after creation", awaitPreferredLeaders(60_000));
        int victim = killAndRestartPreferredOfPartition0();
        assertTrue("leadership did not return to node " + victim, awaitPreferredLeaders(60_000));
    }

    @Test
    public void kafkaLeaderElectionToolMovesLeadershipBack() throws Exception {
        startCluster("--auto-leader-rebalance-enable", "false");
        try (Admin admin = cluster.admin()) {
            admin.electLeaders(ElectionType.PREFERRED, null).partitions().get(60, TimeUnit.SECONDS);
        }
        assertTrue(awaitPreferredLeaders(30_000));
        int victim = killAndRestartPreferredOfPartition0();
        assertTrue("automatic rebalance is off, yet node " + victim + " leads again", leader(partitions().get(0)) != victim);

        // the restarted replica may still be catching up: PREFERRED_LEADER_NOT_AVAILABLE until it is
        KafkaTool.Run run = null;
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            run = tool("--election-type", "PREFERRED", "--all-topic-partitions");
            if (run.exit() == 0) {
                break;
            }
            Thread.sleep(1000);
        }
        assertEquals(run.toString(), 0, run.exit());
        assertTrue(run.toString(), run.out().contains("Successfully completed leader election (PREFERRED) for partitions")
                && run.out().contains(TOPIC + "-0"));
        assertTrue(awaitPreferredLeaders(10_000));

        // nothing left to do
        KafkaTool.Run again = tool("--election-type", "PREFERRED", "--topic", TOPIC, "--partition", "0");
        assertEquals(again.toString(), 0, again.exit());
        assertTrue(again.toString(), again.out().contains("Valid replica already elected for partitions " + TOPIC + "-0"));

        // unclean election is never performed: the partition has a leader
        KafkaTool.Run unclean = tool("--election-type", "UNCLEAN", "--topic", TOPIC, "--partition", "1");
        assertTrue(unclean.toString(), unclean.out().contains("Valid replica already elected for partitions " + TOPIC + "-1"));

        // bad input: an unknown partition is UNKNOWN_TOPIC_OR_PARTITION, and the cluster carries on
        KafkaTool.Run unknown = tool("--election-type", "PREFERRED", "--topic", "no-such-topic", "--partition", "0");
        assertTrue(unknown.toString(), unknown.exit() != 0 && (unknown.out() + unknown.err()).contains("UnknownTopicOrPartitionException"));
        try (Admin admin = cluster.admin()) {
            Map<TopicPartition, Optional<Throwable>> r = admin.electLeaders(ElectionType.PREFERRED,
                    Set.of(new TopicPartition(TOPIC, 7))).partitions().get(30, TimeUnit.SECONDS);
            assertTrue(r.toString(), r.get(new TopicPartition(TOPIC, 7)).orElseThrow() instanceof UnknownTopicOrPartitionException);
        }
        assertTrue(awaitPreferredLeaders(10_000));
    }

    /** Runs kafka-leader-election against the running nodes. */
    private KafkaTool.Run tool(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", cluster.bootstrap()));
        all.addAll(List.of(args));
        return KafkaTool.run("kafka-leader-election", TOOL, all.toArray(new String[0]));
    }
}
