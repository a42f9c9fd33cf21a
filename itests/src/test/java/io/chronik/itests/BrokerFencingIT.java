package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Three broker processes with a 3 s session timeout: after SIGKILL of one, every survivor's own DescribeCluster and
 * Metadata (asked on a socket to that survivor) drop it from the live brokers, the ISRs and the leaders and flag it
 * fenced within 15 s, all survivors answer alike, and a Java Admin client sees it fenced; after a restart it is back
 * everywhere. Idempotent
 * production across such a kill loses and duplicates no acknowledged record. The tests share the cluster; each leaves
 * it with all three brokers live.
 */
public class BrokerFencingIT {
    private static final String SESSION_MS = "3000";
    private static final long FENCED_WITHIN_MS = 15_000;

    @ClassRule
    public static final ProcessCluster CLUSTER = new ProcessCluster(3).args("--session-timeout-ms", SESSION_MS);

    @BeforeClass
    public static void startCluster() throws Exception {
        CLUSTER.start();
        try (Admin admin = CLUSTER.admin()) {
            admin.createTopics(List.of(new NewTopic("replicated", 3, (short) 3), new NewTopic("single", 3, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    public void aKilledBrokerIsFencedOnEveryNodeAndComesBack() throws Exception {
        List<Integer> all = List.of(1, 2, 3);
        awaitOn(all, "three brokers and full ISRs", 60_000, BrokerFencingIT::complete);

        int victim = 3;
        CLUSTER.kill(victim);
        long killed = System.currentTimeMillis();
        List<Integer> survivors = List.of(1, 2);
        awaitOn(survivors, "node 3 fenced", FENCED_WITHIN_MS, v -> {
            if (!v.brokers.equals(List.of(1, 2)) || !v.fenced.equals(List.of(victim))) {
                return false;
            }
            for (Partition p : v.partitions.values()) {
                boolean onlyOnVictim = p.replicas().equals(List.of(victim));
                boolean leaderOk = onlyOnVictim ? p.leaderless() : !p.leaderless() && p.leader() != victim;
                if (!leaderOk || p.isr().contains(victim)) {
                    return false;
                }
            }
            return true;
        });
        long fencedAfter = System.currentTimeMillis() - killed;
        assertTrue("fenced after " + fencedAfter + " ms", fencedAfter < FENCED_WITHIN_MS);
        awaitSame(survivors);
        try (Admin admin = CLUSTER.admin(1)) {
            List<Node> withFenced = new ArrayList<>(admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true))
                    .nodes().get(30, TimeUnit.SECONDS));
            withFenced.sort((a, b) -> Integer.compare(a.id(), b.id()));
            assertEquals(3, withFenced.size());
            assertTrue(withFenced.get(2).isFenced());
            assertTrue(!withFenced.get(0).isFenced() && !withFenced.get(1).isFenced());
        }

        CLUSTER.restart(victim);
        awaitOn(all, "node 3 unfenced and back in every ISR", 60_000, BrokerFencingIT::complete);
        awaitSame(all);
    }

    /**
     * An idempotent producer (acks=all) writes continuously while the leader of a partition is SIGKILLed: production
     * carries on once the broker is fenced, every acknowledged record is in the log exactly once at its acknowledged
     * offset, before and after the broker comes back, unfenced and in every ISR again.
     */
    @Test
    public void acknowledgedRecordsSurviveTheKillOfALeaderExactlyOnce() throws Exception {
        List<Integer> all = List.of(1, 2, 3);
        awaitOn(all, "three brokers and full ISRs", 60_000, BrokerFencingIT::complete);
        String topic = "across-kill";
        try (Admin admin = CLUSTER.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        awaitOn(all, topic + " led", 30_000, v -> v.partitions.containsKey(topic + "-2") && complete(v));
        List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                new TopicPartition(topic, 2));
        try (LoadProducer load = new LoadProducer(CLUSTER.bootstrap(), "across-kill", partitions, 400)) {
            load.awaitProgress(400, 30_000);
            int victim = view(1).partitions.get(topic + "-0").leader();
            CLUSTER.kill(victim);
            List<Integer> survivors = all.stream().filter(id -> id != victim).toList();
            awaitOn(survivors, "node " + victim + " fenced and " + topic + " led by survivors", FENCED_WITHIN_MS,
                    v -> v.fenced.equals(List.of(victim)) && v.partitions.entrySet().stream().filter(e -> e.getKey().startsWith(topic))
                            .allMatch(e -> !e.getValue().leaderless() && e.getValue().leader() != victim
                                    && !e.getValue().isr().contains(victim)));
            load.awaitProgress(400, 30_000);
            load.stop();
            System.out.println(LoadVerifier.assertExactlyOnce(CLUSTER.bootstrap(), load, 60_000));

            CLUSTER.restart(victim);
            awaitOn(all, "node " + victim + " unfenced and back in every ISR", 60_000, BrokerFencingIT::complete);
            awaitSame(all);
            System.out.println(LoadVerifier.assertExactlyOnce(CLUSTER.bootstrap(victim), load, 60_000));
        }
    }

    /** Three live brokers, and every partition led and with its full replica set in sync. */
    private static boolean complete(View v) {
        return v.brokers.equals(List.of(1, 2, 3)) && v.fenced.isEmpty()
                && v.partitions.values().stream().allMatch(p -> !p.leaderless() && p.isr().size() == p.replicas().size());
    }

    /** A partition as one node's Metadata gives it; {@code leader} is -1 when it has none. */
    private record Partition(int leader, List<Integer> replicas, List<Integer> isr) {
        boolean leaderless() {
            return leader < 0;
        }
    }

    /** What one node answers: its live (unfenced) brokers, its fenced ones, and every partition. */
    private record View(List<Integer> brokers, List<Integer> fenced, TreeMap<String, Partition> partitions) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(brokers.toString()).append(" fenced=").append(fenced);
            partitions.forEach((tp, p) -> sb.append(' ').append(tp).append(" leader=").append(p.leader())
                    .append(" replicas=").append(p.replicas()).append(" isr=").append(p.isr()));
            return sb.toString();
        }
    }

    /**
     * Node {@code nodeId}'s own answer, on a socket to its port ({@link NodeRequests}): a Java client sends each
     * request to whichever broker it picks, which would not tell the nodes apart.
     */
    private View view(int nodeId) throws Exception {
        int port = CLUSTER.kafkaPort(nodeId);
        DescribeClusterResponseData cluster = NodeRequests.describeCluster(port);
        if (cluster.errorCode() != 0) {
            throw new IllegalStateException("DescribeCluster: " + Errors.forCode(cluster.errorCode()));
        }
        List<Integer> brokers = new ArrayList<>();
        List<Integer> fenced = new ArrayList<>();
        for (DescribeClusterResponseData.DescribeClusterBroker b : cluster.brokers()) {
            (b.isFenced() ? fenced : brokers).add(b.brokerId());
        }
        brokers.sort(null);
        fenced.sort(null);
        TreeMap<String, Partition> partitions = new TreeMap<>();
        for (MetadataResponseData.MetadataResponseTopic t : NodeRequests.metadata(port).topics()) {
            for (MetadataResponseData.MetadataResponsePartition p : t.partitions()) {
                partitions.put(t.name() + "-" + p.partitionIndex(),
                        new Partition(p.leaderId(), List.copyOf(p.replicaNodes()), List.copyOf(p.isrNodes())));
            }
        }
        return new View(brokers, fenced, partitions);
    }

    private void awaitOn(List<Integer> nodeIds, String what, long timeoutMs, Predicate<View> condition) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            boolean ok = true;
            for (int id : nodeIds) {
                try {
                    View v = view(id);
                    last = "node " + id + ": " + v;
                    ok &= condition.test(v);
                } catch (Exception e) {
                    last = "node " + id + ": " + e;
                    ok = false;
                }
                if (!ok) {
                    break;
                }
            }
            if (ok) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("not within " + timeoutMs + " ms: " + what + "; last seen " + last);
    }

    /** Every node in {@code nodeIds} gives the same answer (retried briefly: metadata entries apply one node at a time). */
    private void awaitSame(List<Integer> nodeIds) throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        List<String> answers = new ArrayList<>();
        while (System.currentTimeMillis() < deadline) {
            answers.clear();
            for (int id : nodeIds) {
                answers.add(view(id).toString());
            }
            if (answers.stream().distinct().count() == 1) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("nodes " + nodeIds + " disagree: " + answers);
    }
}
