package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.junit.Rule;
import org.junit.Test;

/**
 * A rolling update of the gRPC Raft transport bundle under load (issue 13 item 5): three processes, each with its own
 * copy of the distribution; a topic of six partitions with three replicas (every node the preferred leader of two);
 * an idempotent {@code acks=all} producer runs throughout. For each node in turn the transport bundle's jar is moved
 * into that node's {@code deploy/} directory; File Install updates the installed {@code io.chronik.transport.grpc}
 * bundle in place (same symbolic name and version), the consensus component stops the node's Raft server and starts
 * it again on the new bundle revision from its own storage, and the test waits until the node is back in every ISR and
 * leads its preferred partitions again before it updates the next one. Nothing acknowledged is lost or duplicated, no
 * send fails (the producer only retried retriable errors), and what each swap cost is printed: how long the Raft
 * server was down, and when the node was ready, in every ISR and leading again, and how long writes to the partitions
 * it led waited (docs/transport-swap.md).
 */
public class TransportRollingUpdateIT {
    private static final String TOPIC = "transport-roll";
    private static final String JAR = "io.chronik.transport.grpc";

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).homePerNode()
            .args("--leader-imbalance-check-interval-seconds", "2");

    /** What one node's swap cost, in ms from the moment its Raft server began to stop. */
    private record Cost(int node, long detectedMs, long raftDownMs, long readyMs, long inIsrsMs, long leadingMs,
            long ledWriteGapMs, long otherWriteGapMs) {
        @Override
        public String toString() {
            return "node " + node + ": update seen " + detectedMs + " ms after the jar was placed; Raft server down "
                    + raftDownMs + " ms; node ready after " + readyMs + " ms, in every ISR after " + inIsrsMs
                    + " ms, leading its preferred partitions again after " + leadingMs + " ms; longest wait for an "
                    + "acknowledgement on a partition it led " + ledWriteGapMs + " ms, on the others " + otherWriteGapMs + " ms";
        }
    }

    @Test
    public void aRollingUpdateOfTheGrpcTransportBundleLosesNothing() throws Exception {
        cluster.start();
        List<TopicPartition> tps = createTopic();
        awaitBalanced();
        List<Cost> costs = new ArrayList<>();
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "roll", tps, 300)) {
            load.awaitProgress(600, 60_000);
            for (int node : cluster.ids()) {
                costs.add(updateTransport(node, load, tps));
                load.awaitProgress(300, 60_000);
            }
            double retries = load.producerMetric("record-retry-total");
            double errors = load.producerMetric("record-error-total");
            load.stop();
            System.out.println("transport rolling update, " + load + "; sends retried " + retries
                    + ", failed for good " + errors);
            costs.forEach(c -> System.out.println("transport rolling update cost, " + c));
            assertEquals("sends that failed (only retriable errors may happen): " + load.failures().stream().limit(5)
                    .map(f -> f.seq() + " " + f.error()).toList(), 0, load.failures().size());
            System.out.println(LoadVerifier.assertExactlyOnce(cluster.bootstrap(), load, 60_000));
        }
    }

    /** Six partitions, replicas rotated so that every node is the preferred leader of two. */
    private List<TopicPartition> createTopic() throws Exception {
        Map<Integer, List<Integer>> assignment = new HashMap<>();
        List<List<Integer>> orders = List.of(List.of(1, 2, 3), List.of(2, 3, 1), List.of(3, 1, 2), List.of(1, 3, 2),
                List.of(2, 1, 3), List.of(3, 2, 1));
        for (int p = 0; p < orders.size(); p++) {
            assignment.put(p, orders.get(p));
        }
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, assignment))).all().get();
        }
        return Stream.iterate(0, p -> p + 1).limit(orders.size()).map(p -> new TopicPartition(TOPIC, p)).toList();
    }

    private TopicDescription describe() throws Exception {
        try (Admin admin = cluster.admin()) {
            return admin.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC);
        }
    }

    private static boolean balanced(TopicDescription d) {
        return d.partitions().stream().allMatch(p -> p.leader() != null && !p.replicas().isEmpty()
                && p.leader().id() == p.replicas().get(0).id() && p.isr().size() == p.replicas().size());
    }

    private static String show(TopicDescription d) {
        return d.partitions().stream().map(p -> p.partition() + ": leader " + (p.leader() == null ? "-" : p.leader().id())
                + " isr " + p.isr().stream().map(n -> n.id()).toList()).collect(Collectors.joining("; "));
    }

    /** Waits until every partition is led by its preferred replica with all replicas in sync. */
    private void awaitBalanced() throws Exception {
        String[] last = {""};
        ProcessCluster.await("every partition led by its preferred replica, all in sync", 90_000, () -> {
            TopicDescription d = describe();
            last[0] = show(d);
            return balanced(d);
        }, () -> last[0]);
    }

    /** Updates node {@code id}'s transport bundle through its deploy/ directory and waits until it is back. */
    private Cost updateTransport(int id, LoadProducer load, List<TopicPartition> tps) throws Exception {
        awaitBalanced();
        List<TopicPartition> led = describe().partitions().stream().filter(p -> p.leader().id() == id)
                .map(p -> new TopicPartition(TOPIC, p.partition())).toList();
        ChronikProcess node = cluster.node(id).process();
        int from = node.lineCount();
        Path home = cluster.home(id);
        Path jar;
        try (Stream<Path> files = Files.list(home.resolve("bundle"))) {
            jar = files.filter(p -> p.getFileName().toString().startsWith(JAR + "-")).findFirst().orElseThrow();
        }
        // a fresh copy (new modification time), moved in at once so that File Install never sees half a jar
        Path staged = home.resolve(jar.getFileName() + ".staged");
        Files.copy(jar, staged, StandardCopyOption.REPLACE_EXISTING);
        long placed = System.currentTimeMillis();
        Files.move(staged, home.resolve("deploy").resolve(jar.getFileName()), StandardCopyOption.ATOMIC_MOVE);

        node.awaitLineAfter(from, "A bundle with the same symbolic name (" + JAR + ")", 30_000);
        TransportSwaps.Restart restart = TransportSwaps.awaitRestart(node, from, id, "grpc");
        // the server runs on the updated revision: the bundle's last modification is the update, after the jar was placed
        assertTrue("node " + id + " restarted on the bundle revision of " + restart.bundleRevision() + ", not on one "
                + "updated after " + Instant.ofEpochMilli(placed) + ": " + restart.startedLine(),
                restart.bundleRevision().toEpochMilli() >= placed - 1000);

        long isrAt = awaitMillis("node " + id + " back in every ISR", () -> cluster.inAllIsrs(id, TOPIC));
        long leadingAt = awaitMillis("node " + id + " leads its preferred partitions again", () -> balanced(describe()));
        long stop = restart.stopping().toEpochMilli();
        return new Cost(id, stop - placed, restart.raftDownMs(), restart.readyMs(), isrAt - stop, leadingAt - stop,
                TransportSwaps.longestGap(load, led, stop - 2000, leadingAt),
                TransportSwaps.longestGap(load, tps.stream().filter(tp -> !led.contains(tp)).toList(), stop - 2000, leadingAt));
    }

    private static long awaitMillis(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        ProcessCluster.await(what, 90_000, condition);
        return System.currentTimeMillis();
    }
}
