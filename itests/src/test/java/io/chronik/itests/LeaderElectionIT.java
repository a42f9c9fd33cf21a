package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.After;
import org.junit.Test;

/**
 * Preferred leader election in a three-process cluster: after a broker is killed and restarted, leadership returns to
 * it automatically within the imbalance check interval, or, with automatic rebalance off, on demand through Kafka's
 * {@code kafka-leader-election} tool ({@code org.apache.kafka.tools.LeaderElectionCommand}) and the Admin client.
 */
public class LeaderElectionIT {
    private static final String TOPIC = "elect";
    private static final String TOOL = "org.apache.kafka.tools.LeaderElectionCommand";

    private final List<ChronikProcess> nodes = new ArrayList<>();
    private final List<String[]> commands = new ArrayList<>();
    private final int[] kafkaPorts = new int[3];
    private Path home;

    @After
    public void stopNodes() throws InterruptedException {
        for (ChronikProcess p : nodes) {
            if (p != null) {
                p.close();
            }
        }
    }

    private void startCluster(String... extra) throws Exception {
        home = ChronikProcess.copyDistribution();
        int[] raftPorts = new int[3];
        StringBuilder peers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            kafkaPorts[i] = ContainerSupport.freePort();
            raftPorts[i] = ContainerSupport.freePort();
            peers.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(raftPorts[i]);
        }
        for (int i = 0; i < 3; i++) {
            Path data = Files.createTempDirectory("chronik-node" + (i + 1));
            List<String> args = new ArrayList<>(List.of("start", "--node-id", Integer.toString(i + 1), "--data-dir",
                    data.toString(), "--kafka-addr", "127.0.0.1:" + kafkaPorts[i], "--advertised-addr",
                    "127.0.0.1:" + kafkaPorts[i], "--raft-addr", "127.0.0.1:" + raftPorts[i], "--metrics-addr",
                    "127.0.0.1:" + ContainerSupport.freePort(), "--peers", peers.toString(), "--flush-policy", "os"));
            args.addAll(List.of(extra));
            commands.add(args.toArray(new String[0]));
            nodes.add(ChronikProcess.run(home, commands.get(i)));
        }
        for (ChronikProcess n : nodes) {
            n.awaitLine("started in", 90_000);
        }
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private String bootstrap() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            if (nodes.get(i) != null) {
                sb.append(sb.length() == 0 ? "" : ",").append("127.0.0.1:").append(kafkaPorts[i]);
            }
        }
        return sb.toString();
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return Admin.create(p);
    }

    private List<TopicPartitionInfo> partitions() throws Exception {
        try (Admin admin = admin()) {
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
        nodes.get(victim - 1).process.destroyForcibly().waitFor();
        nodes.set(victim - 1, null);
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
        nodes.set(victim - 1, ChronikProcess.run(home, commands.get(victim - 1)));
        nodes.get(victim - 1).awaitLine("started in", 90_000);
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
        try (Admin admin = admin()) {
            admin.electLeaders(ElectionType.PREFERRED, null).partitions().get(60, TimeUnit.SECONDS);
        }
        assertTrue(awaitPreferredLeaders(30_000));
        int victim = killAndRestartPreferredOfPartition0();
        assertTrue("automatic rebalance is off, yet node " + victim + " leads again", leader(partitions().get(0)) != victim);

        // the restarted replica may still be catching up: PREFERRED_LEADER_NOT_AVAILABLE until it is
        Run run = null;
        long deadline = System.currentTimeMillis() + 60_000;
        while (System.currentTimeMillis() < deadline) {
            run = tool("--election-type", "PREFERRED", "--all-topic-partitions");
            if (run.exit == 0) {
                break;
            }
            Thread.sleep(1000);
        }
        assertEquals(run.toString(), 0, run.exit);
        assertTrue(run.toString(), run.out.contains("Successfully completed leader election (PREFERRED) for partitions")
                && run.out.contains(TOPIC + "-0"));
        assertTrue(awaitPreferredLeaders(10_000));

        // nothing left to do
        Run again = tool("--election-type", "PREFERRED", "--topic", TOPIC, "--partition", "0");
        assertEquals(again.toString(), 0, again.exit);
        assertTrue(again.toString(), again.out.contains("Valid replica already elected for partitions " + TOPIC + "-0"));

        // unclean election is never performed: the partition has a leader
        Run unclean = tool("--election-type", "UNCLEAN", "--topic", TOPIC, "--partition", "1");
        assertTrue(unclean.toString(), unclean.out.contains("Valid replica already elected for partitions " + TOPIC + "-1"));

        // bad input: an unknown partition is UNKNOWN_TOPIC_OR_PARTITION, and the cluster carries on
        Run unknown = tool("--election-type", "PREFERRED", "--topic", "no-such-topic", "--partition", "0");
        assertTrue(unknown.toString(), unknown.exit != 0 && (unknown.out + unknown.err).contains("UnknownTopicOrPartitionException"));
        try (Admin admin = admin()) {
            Map<TopicPartition, Optional<Throwable>> r = admin.electLeaders(ElectionType.PREFERRED,
                    Set.of(new TopicPartition(TOPIC, 7))).partitions().get(30, TimeUnit.SECONDS);
            assertTrue(r.toString(), r.get(new TopicPartition(TOPIC, 7)).orElseThrow() instanceof UnknownTopicOrPartitionException);
        }
        assertTrue(awaitPreferredLeaders(10_000));
    }

    private record Run(List<String> args, int exit, String out, String err) {
        @Override
        public String toString() {
            return "kafka-leader-election " + String.join(" ", args) + " -> exit " + exit + "\n" + out + err;
        }
    }

    /** Runs the tool in a JVM of its own; fails if it takes more than 60 s. */
    private Run tool(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", bootstrap()));
        all.addAll(List.of(args));
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), TOOL));
        command.addAll(all);
        Process p = new ProcessBuilder(command).start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("kafka-leader-election " + String.join(" ", all) + " did not end in 60 s");
        }
        Run run = new Run(all, p.exitValue(), out.join(), err.join());
        System.out.println(run);
        return run;
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return e.toString();
        }
    }
}
