package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;

/**
 * Partition reassignment with Kafka's own {@code kafka-reassign-partitions} tool
 * ({@code org.apache.kafka.tools.reassign.ReassignPartitionsCommand}, run as a process) on a cluster of four processes:
 * three that formed it and a fourth that joined later. While an idempotent producer writes continuously and a consumer
 * group reads and commits, one partition moves onto the new node and back (the rollback plan the tool printed); every
 * node's Metadata shows the target replicas with full ISRs, no acknowledged record is lost or duplicated, and the group
 * resumes from its committed offsets. Bad reassignments, including one to a fenced broker, get Kafka's errors and
 * change nothing. The tests share the cluster (a 5 s session timeout, so that a killed broker is fenced soon); each
 * leaves all four nodes running.
 */
public class ReassignmentIT {
    private static final String TOOL = "org.apache.kafka.tools.reassign.ReassignPartitionsCommand";
    private static final String TOPIC = "moving";
    private static final String GROUP = "moving-group";
    private static final long MOVE_TIMEOUT_MS = 120_000;

    @ClassRule
    public static final ProcessCluster CLUSTER = new ProcessCluster(3).args("--session-timeout-ms", "5000");

    @BeforeClass
    public static void startCluster() throws Exception {
        CLUSTER.start();
        try (Admin admin = CLUSTER.admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        assertEquals(4, CLUSTER.addNode());
    }

    @Test
    public void aPartitionMovesToTheNewNodeAndBackUnderLoad() throws Exception {
        List<TopicPartition> partitions = List.of(new TopicPartition(TOPIC, 0), new TopicPartition(TOPIC, 1),
                new TopicPartition(TOPIC, 2));
        Map<Integer, List<Integer>> before = awaitReplicasEverywhere(Map.of(), 30_000);
        assertTrue("nothing on the new node yet: " + before, before.values().stream().noneMatch(r -> r.contains(4)));
        try (Admin admin = CLUSTER.admin()) {
            GroupReader.commitStart(admin, GROUP, partitions);
        }
        Path dir = Files.createTempDirectory("reassign");
        try (LoadProducer load = new LoadProducer(CLUSTER.bootstrap(), "moving", partitions, 300);
             GroupReader reader = new GroupReader(CLUSTER.bootstrap(), GROUP, List.of(TOPIC))) {
            load.awaitProgress(300, 30_000);

            Path topics = Files.writeString(dir.resolve("topics.json"), "{\"version\":1,\"topics\":[{\"topic\":\"" + TOPIC + "\"}]}");
            KafkaTool.Run generated = tool("--topics-to-move-json-file", topics.toString(), "--broker-list", "1,2,3,4", "--generate");
            assertEquals(generated.toString(), 0, generated.exit());
            assertEquals(generated.toString(), before, assignment(jsonAfter(generated, "Current partition replica assignment")));
            Map<Integer, List<Integer>> proposed = assignment(jsonAfter(generated, "Proposed partition reassignment configuration"));
            assertEquals(generated.toString(), before.keySet(), proposed.keySet());
            for (List<Integer> replicas : proposed.values()) {
                assertTrue(generated.toString(), replicas.size() == 3 && new HashSet<>(replicas).size() == 3
                        && List.of(1, 2, 3, 4).containsAll(replicas));
            }

            // move partition 0 onto node 4: node 4 becomes its preferred leader, in place of the current one
            List<Integer> current = before.get(0);
            List<Integer> target = List.of(4, current.get(1), current.get(2));
            Path plan = Files.writeString(dir.resolve("plan.json"), planJson(Map.of(0, target)));
            KafkaTool.Run executed = tool("--reassignment-json-file", plan.toString(), "--execute");
            assertEquals(executed.toString(), 0, executed.exit());
            assertTrue(executed.toString(), executed.out().contains("Successfully started partition reassignment"));
            String rollback = jsonAfter(executed, "Current partition replica assignment");
            assertEquals(executed.toString(), Map.of(0, current), assignment(rollback));
            awaitVerified(plan);
            Map<Integer, List<Integer>> moved = new TreeMap<>(before);
            moved.put(0, target);
            awaitReplicasEverywhere(moved, 30_000);
            load.awaitProgress(300, 30_000);

            // and back, with the rollback plan the tool printed
            Path back = Files.writeString(dir.resolve("rollback.json"), rollback);
            KafkaTool.Run undone = tool("--reassignment-json-file", back.toString(), "--execute");
            assertEquals(undone.toString(), 0, undone.exit());
            awaitVerified(back);
            awaitReplicasEverywhere(before, 30_000);
            load.awaitProgress(300, 30_000);

            load.stop();
            System.out.println(LoadVerifier.assertExactlyOnce(CLUSTER.bootstrap(), load, 60_000));
            Map<TopicPartition, Long> end = endOffsets(partitions);
            reader.awaitPositions(end, 60_000);
            assertEquals("the group member's errors and rewinds", List.of(), reader.problems());
        }

        // the committed offsets are where the member stopped, and a new member resumes there after more records
        Map<TopicPartition, Long> committed = committed();
        assertEquals(endOffsets(partitions), committed);
        try (LoadProducer more = new LoadProducer(CLUSTER.bootstrap(), "more", partitions, 300)) {
            more.awaitProgress(30, 30_000);
        }
        try (GroupReader resumed = new GroupReader(CLUSTER.bootstrap(), GROUP, List.of(TOPIC))) {
            resumed.awaitPositions(endOffsets(partitions), 60_000);
            assertEquals("resumed member's errors and rewinds", List.of(), resumed.problems());
            assertEquals("resumed at the committed offsets", committed, resumed.firstOffsets());
        }
    }

    @Test
    public void badReassignmentsAreRefusedAndTheClusterKeepsServing() throws Exception {
        CLUSTER.awaitBrokers(List.of(1, 2, 3, 4));
        Map<Integer, List<Integer>> before = awaitReplicasEverywhere(Map.of(), 30_000);
        TopicPartition p1 = new TopicPartition(TOPIC, 1);
        try (Admin admin = CLUSTER.admin()) {
            expect(InvalidReplicaAssignmentException.class, () -> reassign(admin, p1, List.of(1, 2, 9)));
            expect(InvalidReplicaAssignmentException.class, () -> reassign(admin, p1, List.of(1, 1, 2)));
            // the Java client refuses to send an empty list; the broker must refuse it too
            for (int id : CLUSTER.running()) {
                assertEquals("empty list to node " + id, Errors.INVALID_REPLICA_ASSIGNMENT,
                        NodeRequests.alterPartitionReassignment(CLUSTER.kafkaPort(id), TOPIC, 1, List.of()));
            }
            expect(UnknownTopicOrPartitionException.class, () -> reassign(admin, new TopicPartition(TOPIC, 7), List.of(1, 2, 3)));
            expect(UnknownTopicOrPartitionException.class, () -> reassign(admin, new TopicPartition("no-such-topic", 0), List.of(1, 2, 3)));
            expect(NoReassignmentInProgressException.class, () -> admin.alterPartitionReassignments(Map.of(p1, Optional.empty()))
                    .values().get(p1).get(30, TimeUnit.SECONDS));
            TopicPartition unknown = new TopicPartition(TOPIC, 7);
            Map<TopicPartition, Optional<Throwable>> elected = admin.electLeaders(ElectionType.PREFERRED, Set.of(unknown))
                    .partitions().get(30, TimeUnit.SECONDS);
            assertTrue(elected.toString(), elected.get(unknown).orElseThrow() instanceof UnknownTopicOrPartitionException);
            expect(InvalidReplicationFactorException.class, () -> admin.createTopics(List.of(new NewTopic("too-many", 1, (short) 5)))
                    .all().get(30, TimeUnit.SECONDS));
            assertEquals(Map.of(), admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS));
        }

        CLUSTER.kill(4);
        CLUSTER.awaitBrokers(List.of(1, 2, 3));
        try (Admin admin = CLUSTER.admin()) {
            expect(InvalidReplicaAssignmentException.class, () -> reassign(admin, p1, List.of(1, 2, 4)));
            expect(InvalidReplicationFactorException.class, () -> admin.createTopics(List.of(new NewTopic("too-many", 1, (short) 4)))
                    .all().get(30, TimeUnit.SECONDS));
            assertEquals(Map.of(), admin.listPartitionReassignments().reassignments().get(30, TimeUnit.SECONDS));
            admin.createTopics(List.of(new NewTopic("after-bad-input", 2, (short) 3))).all().get(30, TimeUnit.SECONDS);
        }
        assertEquals("nothing moved", before, awaitReplicasEverywhere(before, 30_000));
        List<TopicPartition> serving = List.of(new TopicPartition("after-bad-input", 0), new TopicPartition("after-bad-input", 1));
        try (LoadProducer load = new LoadProducer(CLUSTER.bootstrap(), "after-bad-input", serving, 300)) {
            load.awaitProgress(200, 30_000);
            load.stop();
            System.out.println(LoadVerifier.assertExactlyOnce(CLUSTER.bootstrap(), load, 30_000));
        }
        CLUSTER.restart(4);
        CLUSTER.awaitBrokers(List.of(1, 2, 3, 4));
    }

    private static void reassign(Admin admin, TopicPartition tp, List<Integer> replicas) throws Exception {
        admin.alterPartitionReassignments(Map.of(tp, Optional.of(new NewPartitionReassignment(replicas))))
                .values().get(tp).get(30, TimeUnit.SECONDS);
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void expect(Class<? extends Throwable> expected, Call call) throws Exception {
        try {
            call.run();
            fail("expected " + expected.getSimpleName());
        } catch (ExecutionException e) {
            assertEquals(e.getCause().toString(), expected, e.getCause().getClass());
        }
    }

    private static KafkaTool.Run tool(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", CLUSTER.bootstrap()));
        all.addAll(List.of(args));
        return KafkaTool.run("kafka-reassign-partitions", TOOL, all.toArray(new String[0]));
    }

    /** Runs {@code --verify} until it reports every partition of {@code plan} complete. */
    private static void awaitVerified(Path plan) throws Exception {
        long deadline = System.currentTimeMillis() + MOVE_TIMEOUT_MS;
        KafkaTool.Run run;
        do {
            run = tool("--reassignment-json-file", plan.toString(), "--verify");
            if (run.exit() == 0 && !run.out().contains("still in progress")) {
                assertTrue(run.toString(), run.out().contains("Reassignment of partition " + TOPIC + "-0 is completed"));
                return;
            }
            assertTrue(run.toString(), run.out().contains("still in progress"));
            Thread.sleep(1000);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("reassignment not complete in " + MOVE_TIMEOUT_MS + " ms; last run: " + run);
    }

    /**
     * Waits until every running node's Metadata shows {@code expected} (partition → replicas; all partitions when
     * empty, once the nodes agree) with every replica in sync; returns what they show.
     */
    private static Map<Integer, List<Integer>> awaitReplicasEverywhere(Map<Integer, List<Integer>> expected, long timeoutMs)
            throws Exception {
        Map<Integer, Map<Integer, List<Integer>>> seen = new TreeMap<>();
        ProcessCluster.await("every node shows replicas " + (expected.isEmpty() ? "alike" : expected) + " in sync", timeoutMs,
                () -> {
                    seen.clear();
                    for (int id : CLUSTER.running()) {
                        MetadataResponseData m = NodeRequests.metadata(CLUSTER.kafkaPort(id), TOPIC);
                        Map<Integer, List<Integer>> replicas = NodeRequests.replicas(m, TOPIC);
                        Map<Integer, List<Integer>> isr = NodeRequests.isr(m, TOPIC);
                        seen.put(id, replicas);
                        for (Map.Entry<Integer, List<Integer>> e : replicas.entrySet()) {
                            if (!new HashSet<>(isr.get(e.getKey())).equals(new HashSet<>(e.getValue()))) {
                                return false;
                            }
                        }
                    }
                    return seen.values().stream().distinct().count() == 1 && seen.values().iterator().next().size() == 3
                            && (expected.isEmpty() || seen.values().iterator().next().equals(expected));
                }, () -> "seen " + seen);
        return seen.values().iterator().next();
    }

    private static String planJson(Map<Integer, List<Integer>> plan) {
        return plan.entrySet().stream().map(e -> "{\"topic\":\"" + TOPIC + "\",\"partition\":" + e.getKey() + ",\"replicas\":"
                + e.getValue().toString().replace(" ", "") + "}").collect(Collectors.joining(",", "{\"version\":1,\"partitions\":[", "]}"));
    }

    /** The JSON line the tool printed after the line {@code heading} (blank lines skipped). */
    private static String jsonAfter(KafkaTool.Run run, String heading) {
        String[] lines = run.out().split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].trim().equals(heading)) {
                for (int j = i + 1; j < lines.length; j++) {
                    if (lines[j].trim().startsWith("{")) {
                        return lines[j].trim();
                    }
                }
            }
        }
        throw new AssertionError("no JSON after '" + heading + "' in " + run);
    }

    private static final Pattern PARTITION = Pattern.compile(
            "\\{\"topic\":\"" + TOPIC + "\",\"partition\":(\\d+),\"replicas\":\\[([0-9,]*)\\]");

    /** Partition → replicas of a reassignment JSON document. */
    private static Map<Integer, List<Integer>> assignment(String json) {
        Map<Integer, List<Integer>> result = new TreeMap<>();
        Matcher m = PARTITION.matcher(json);
        while (m.find()) {
            List<Integer> replicas = new ArrayList<>();
            for (String r : m.group(2).split(",")) {
                replicas.add(Integer.parseInt(r));
            }
            result.put(Integer.parseInt(m.group(1)), replicas);
        }
        return result;
    }

    private static Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(tp -> latest.put(tp, OffsetSpec.latest()));
        try (Admin admin = CLUSTER.admin()) {
            Map<TopicPartition, Long> end = new HashMap<>();
            for (Map.Entry<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> e
                    : admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).entrySet()) {
                end.put(e.getKey(), e.getValue().offset());
            }
            return end;
        }
    }

    private static Map<TopicPartition, Long> committed() throws Exception {
        try (Admin admin = CLUSTER.admin()) {
            Map<TopicPartition, Long> committed = new HashMap<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : admin.listConsumerGroupOffsets(GROUP)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).entrySet()) {
                committed.put(e.getKey(), e.getValue().offset());
            }
            return committed;
        }
    }
}
