package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.After;
import org.junit.Test;

/**
 * Three broker processes with a 3 s session timeout: after SIGKILL of one, every survivor's DescribeCluster and
 * DescribeTopics (through a Java Admin client bootstrapped on that survivor) drop it from the brokers, the ISRs and
 * the leaders within 15 s, and all survivors answer alike; after a restart it is back everywhere.
 */
public class BrokerFencingIT {
    private static final String SESSION_MS = "3000";
    private static final long FENCED_WITHIN_MS = 15_000;

    private final List<ChronikProcess> nodes = new ArrayList<>();
    private final List<String[]> args = new ArrayList<>();
    private final int[] kafkaPorts = new int[3];

    @After
    public void stopNodes() throws InterruptedException {
        for (ChronikProcess p : nodes) {
            if (p != null) {
                p.close();
            }
        }
    }

    @Test
    public void aKilledBrokerIsFencedOnEveryNodeAndComesBack() throws Exception {
        Path home = ChronikProcess.copyDistribution();
        int[] raftPorts = new int[3];
        StringBuilder peers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            kafkaPorts[i] = ContainerSupport.freePort();
            raftPorts[i] = ContainerSupport.freePort();
            peers.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(raftPorts[i]);
        }
        for (int i = 0; i < 3; i++) {
            Path data = Files.createTempDirectory("chronik-fencing" + (i + 1));
            args.add(new String[] {"start", "--node-id", Integer.toString(i + 1), "--data-dir", data.toString(),
                    "--kafka-addr", "127.0.0.1:" + kafkaPorts[i], "--advertised-addr", "127.0.0.1:" + kafkaPorts[i],
                    "--raft-addr", "127.0.0.1:" + raftPorts[i], "--metrics-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                    "--peers", peers.toString(), "--flush-policy", "os", "--session-timeout-ms", SESSION_MS});
            nodes.add(ChronikProcess.run(home, args.get(i)));
        }
        for (ChronikProcess n : nodes) {
            n.awaitLine("started in", 90_000);
        }
        try (Admin admin = admin(kafkaPorts[0])) {
            admin.createTopics(List.of(new NewTopic("replicated", 3, (short) 3), new NewTopic("single", 3, (short) 1)))
                    .all().get(30, TimeUnit.SECONDS);
        }
        List<Integer> all = List.of(1, 2, 3);
        awaitOn(all, "three brokers and full ISRs", 60_000, v -> v.brokers.equals(List.of(1, 2, 3))
                && v.partitions.values().stream().allMatch(p -> p.leader() != null && p.isr().size() == p.replicas().size()));

        int victim = 3;
        nodes.get(victim - 1).process.destroyForcibly().waitFor();
        long killed = System.currentTimeMillis();
        List<Integer> survivors = List.of(1, 2);
        awaitOn(survivors, "node 3 fenced", FENCED_WITHIN_MS, v -> {
            if (!v.brokers.equals(List.of(1, 2))) {
                return false;
            }
            for (TopicPartitionInfo p : v.partitions.values()) {
                boolean onlyOnVictim = p.replicas().size() == 1 && p.replicas().get(0).id() == victim;
                boolean leaderOk = onlyOnVictim ? noLeader(p) : !noLeader(p) && p.leader().id() != victim;
                if (!leaderOk || p.isr().stream().anyMatch(n -> n.id() == victim)) {
                    return false;
                }
            }
            return true;
        });
        long fencedAfter = System.currentTimeMillis() - killed;
        assertTrue("fenced after " + fencedAfter + " ms", fencedAfter < FENCED_WITHIN_MS);
        awaitSame(survivors);
        try (Admin admin = admin(kafkaPorts[0])) {
            List<Node> withFenced = new ArrayList<>(admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true))
                    .nodes().get(30, TimeUnit.SECONDS));
            withFenced.sort((a, b) -> Integer.compare(a.id(), b.id()));
            assertEquals(3, withFenced.size());
            assertTrue(withFenced.get(2).isFenced());
            assertTrue(!withFenced.get(0).isFenced() && !withFenced.get(1).isFenced());
        }

        nodes.set(victim - 1, ChronikProcess.run(home, args.get(victim - 1)));
        nodes.get(victim - 1).awaitLine("started in", 90_000);
        awaitOn(all, "node 3 unfenced and back in every ISR", 60_000, v -> v.brokers.equals(List.of(1, 2, 3))
                && v.partitions.values().stream().allMatch(p -> !noLeader(p) && p.isr().size() == p.replicas().size()));
        awaitSame(all);
    }

    private static boolean noLeader(TopicPartitionInfo p) {
        return p.leader() == null || p.leader().isEmpty() || p.leader().id() < 0;
    }

    /** What one node answers: its live brokers and every partition. */
    private record View(List<Integer> brokers, TreeMap<String, TopicPartitionInfo> partitions) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(brokers.toString());
            partitions.forEach((tp, p) -> sb.append(' ').append(tp).append(" leader=")
                    .append(noLeader(p) ? -1 : p.leader().id()).append(" replicas=").append(ids(p.replicas()))
                    .append(" isr=").append(ids(p.isr())));
            return sb.toString();
        }
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private View view(int nodeId) throws Exception {
        try (Admin admin = admin(kafkaPorts[nodeId - 1])) {
            List<Integer> brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream().map(Node::id)
                    .sorted().toList();
            TreeMap<String, TopicPartitionInfo> partitions = new TreeMap<>();
            for (TopicDescription d : admin.describeTopics(List.of("replicated", "single")).allTopicNames()
                    .get(10, TimeUnit.SECONDS).values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    partitions.put(d.name() + "-" + p.partition(), p);
                }
            }
            return new View(brokers, partitions);
        }
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

    /** A client that only knows {@code port}'s broker at first (it may learn the others from Metadata). */
    private static Admin admin(int port) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "10000");
        return Admin.create(p);
    }
}
