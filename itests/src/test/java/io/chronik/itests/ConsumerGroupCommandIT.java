package io.chronik.itests;

import static io.chronik.itests.GroupSupport.balanced;
import static io.chronik.itests.GroupSupport.createTopic;
import static io.chronik.itests.GroupSupport.partitions;
import static io.chronik.itests.GroupSupport.pollUntil;
import static io.chronik.itests.GroupSupport.producePerPartition;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.After;
import org.junit.ClassRule;
import org.junit.Test;

import io.chronik.itests.GroupSupport.Member;
import io.chronik.itests.GroupSupport.Processed;

/**
 * Kafka's own {@code kafka-consumer-groups} tool ({@code org.apache.kafka.tools.consumer.group.ConsumerGroupCommand}
 * of kafka-tools 4.x), run as a separate process the way an operator runs it, against {@code bin/chronik start}.
 */
public class ConsumerGroupCommandIT {
    private static final String TOOL = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand";

    @ClassRule
    public static final RunningBroker RUNNING = new RunningBroker(GroupSupport::fastGroupsDistribution);

    private final List<Member> members = new ArrayList<>();

    @After
    public void closeMembers() {
        members.forEach(Member::close);
    }

    private Member member(String name, String group, String topic) {
        Member m = new Member(RUNNING.broker(), name, group, topic, false, new Properties());
        members.add(m);
        return m;
    }

    /** What one run of the tool printed. */
    record Run(List<String> args, int exit, String out, String err) {
        @Override
        public String toString() {
            return "kafka-consumer-groups " + String.join(" ", args) + " (exit " + exit + ")\n--- stdout:\n" + out
                    + "\n--- stderr:\n" + err;
        }

        /** The rows of the table under the header line that starts with {@code GROUP}, split at white space. */
        List<String[]> rows() {
            List<String[]> rows = new ArrayList<>();
            boolean inTable = false;
            for (String line : out.split("\n")) {
                String trimmed = line.trim();
                if (trimmed.startsWith("GROUP ")) {
                    inTable = true;
                } else if (inTable && !trimmed.isEmpty()) {
                    rows.add(trimmed.split("\\s+"));
                }
            }
            return rows;
        }

        /** The row for partition {@code p} of {@code topic} in an offsets table (GROUP TOPIC PARTITION ...). */
        String[] partitionRow(String topic, int p) {
            List<String[]> found = rows().stream().filter(r -> r.length > 2 && r[1].equals(topic) && r[2].equals(Integer.toString(p)))
                    .toList();
            assertEquals("rows for " + topic + "-" + p + " in\n" + this, 1, found.size());
            return found.get(0);
        }
    }

    /** Runs the tool in a JVM of its own against the broker; fails if it takes more than 60 s. */
    private static Run tool(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("--bootstrap-server", RUNNING.broker().bootstrap()));
        all.addAll(Arrays.asList(args));
        KafkaTool.Run run = KafkaTool.run("kafka-consumer-groups", TOOL, all.toArray(new String[0]));
        return new Run(all, run.exit(), run.out(), run.err());
    }

    /** A run that must have succeeded: exit 0 and no "Error:" line (the tool reports most failures that way). */
    private static Run ok(String... args) throws IOException, InterruptedException {
        Run run = tool(args);
        assertEquals(run.toString(), 0, run.exit());
        assertFalse(run.toString(), run.out().contains("Error:"));
        return run;
    }

    private static Map<Integer, Long> committed(String group, String topic) throws Exception {
        Map<Integer, Long> out = new TreeMap<>();
        RUNNING.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).forEach((tp, om) -> {
            if (tp.topic().equals(topic) && om != null) {
                out.put(tp.partition(), om.offset());
            }
        });
        return out;
    }

    @Test
    public void listAndDescribeAnActiveGroup() throws Exception {
        String topic = "cmd-active";
        String group = "cmd-active-group";
        createTopic(RUNNING.admin(), topic, 3);
        producePerPartition(RUNNING.broker(), topic, 10, 20, 30);
        Member a = member("cmd-client-a", group, topic);
        Member b = member("cmd-client-b", group, topic);
        pollUntil("two members sharing 3 partitions", Duration.ofSeconds(60), List.of(a, b),
                () -> balanced(List.of(a, b), partitions(topic, 3)));
        // commit 4 of partition 0 and all 20 of partition 1, nothing of partition 2, each by the member that owns it
        Map<Integer, Long> toCommit = Map.of(0, 4L, 1, 20L);
        for (Member m : List.of(a, b)) {
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (TopicPartition tp : m.assignment()) {
                if (toCommit.containsKey(tp.partition())) {
                    offsets.put(tp, new OffsetAndMetadata(toCommit.get(tp.partition())));
                }
            }
            if (!offsets.isEmpty()) {
                m.consumer.commitSync(offsets);
            }
        }

        Run list = ok("--list");
        assertTrue(list.toString(), Arrays.asList(list.out().split("\n")).contains(group));
        Run listState = ok("--list", "--state");
        assertTrue(listState.toString(), listState.rows().stream().anyMatch(r -> r[0].equals(group) && r[1].equals("Stable")));

        Run describe = ok("--describe", "--group", group);
        long[] committed = {4, 20, -1};
        long[] end = {10, 20, 30};
        for (int p = 0; p < 3; p++) {
            String[] row = describe.partitionRow(topic, p);
            // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
            assertEquals(describe.toString(), 9, row.length);
            assertEquals(describe.toString(), group, row[0]);
            assertEquals("CURRENT-OFFSET of partition " + p + "\n" + describe, committed[p] < 0 ? "-" : Long.toString(committed[p]), row[3]);
            assertEquals("LOG-END-OFFSET of partition " + p + "\n" + describe, Long.toString(end[p]), row[4]);
            assertEquals("LAG of partition " + p + "\n" + describe, committed[p] < 0 ? "-" : Long.toString(end[p] - committed[p]), row[5]);
            final int partition = p;
            Member owner = a.assignedPartitions().contains(partition) ? a : b;
            assertEquals("CONSUMER-ID of partition " + p + "\n" + describe, owner.consumer.groupMetadata().memberId(), row[6]);
            assertTrue("HOST of partition " + p + "\n" + describe, row[7].contains("127.0.0.1"));
            assertEquals("CLIENT-ID of partition " + p + "\n" + describe, owner.name, row[8]);
        }

        Run membersRun = ok("--describe", "--group", group, "--members", "--verbose");
        List<String[]> rows = membersRun.rows();
        assertEquals(membersRun.toString(), 2, rows.size());
        for (Member m : List.of(a, b)) {
            String[] row = rows.stream().filter(r -> r[1].equals(m.consumer.groupMetadata().memberId())).findFirst()
                    .orElseThrow(() -> new AssertionError("no row for " + m.name + "\n" + membersRun));
            // GROUP CONSUMER-ID HOST CLIENT-ID #PARTITIONS CURRENT-EPOCH CURRENT-ASSIGNMENT TARGET-EPOCH TARGET-ASSIGNMENT
            assertEquals(membersRun.toString(), group, row[0]);
            assertTrue(membersRun.toString(), row[2].contains("127.0.0.1"));
            assertEquals(membersRun.toString(), m.name, row[3]);
            assertEquals(membersRun.toString(), Integer.toString(m.assignment().size()), row[4]);
            String assignment = topic + ":" + m.assignedPartitions().stream().map(String::valueOf).collect(Collectors.joining(","));
            assertTrue("CURRENT-ASSIGNMENT of " + m.name + " is " + assignment + "\n" + membersRun,
                    Arrays.asList(row).contains(assignment));
        }

        Run state = ok("--describe", "--group", group, "--state");
        // GROUP COORDINATOR (ID) ASSIGNMENT-STRATEGY STATE #MEMBERS
        String[] stateRow = state.rows().get(0);
        assertEquals(state.toString(), group, stateRow[0]);
        assertEquals(state.toString(), "127.0.0.1:" + RUNNING.broker().kafkaPort, stateRow[1]);
        assertEquals(state.toString(), List.of("range", "Stable", "2"),
                List.of(stateRow[stateRow.length - 3], stateRow[stateRow.length - 2], stateRow[stateRow.length - 1]));

        // what an operator may not do to an active group
        Run reset = tool("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        assertTrue(reset.toString(), reset.out().contains("Assignments can only be reset if the group '" + group
                + "' is inactive, but the current state is Stable."));
        assertEquals(Map.of(0, 4L, 1, 20L), committed(group, topic));
        Run delete = tool("--delete", "--group", group);
        assertTrue(delete.toString(), delete.out().contains("GroupNotEmptyException"));
        assertTrue(ok("--list").out().contains(group));
    }

    @Test
    public void describeResetAndDeleteAnInactiveGroup() throws Exception {
        String topic = "cmd-inactive";
        String group = "cmd-inactive-group";
        createTopic(RUNNING.admin(), topic, 3);
        producePerPartition(RUNNING.broker(), topic, 10, 10, 10);
        Member m = member("cmd-client-c", group, topic);
        pollUntil("the 30 records", Duration.ofSeconds(60), List.of(m), () -> m.processed.size() >= 30);
        m.consumer.commitSync();
        m.close();
        assertEquals(Map.of(0, 10L, 1, 10L, 2, 10L), committed(group, topic));

        Run describe = ok("--describe", "--group", group);
        assertTrue(describe.toString(), describe.err().contains("Consumer group '" + group + "' has no active members."));
        for (int p = 0; p < 3; p++) {
            String[] row = describe.partitionRow(topic, p);
            assertEquals(describe.toString(), List.of("10", "10", "0", "-", "-", "-"), Arrays.asList(row).subList(3, 9));
        }
        Run listState = ok("--list", "--state");
        assertTrue(listState.toString(), listState.rows().stream().anyMatch(r -> r[0].equals(group) && r[1].equals("Empty")));

        Run dryRun = ok("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--dry-run");
        for (int p = 0; p < 3; p++) {
            // GROUP TOPIC PARTITION NEW-OFFSET
            assertEquals(dryRun.toString(), "0", dryRun.partitionRow(topic, p)[3]);
        }
        assertEquals("a dry run changes nothing", Map.of(0, 10L, 1, 10L, 2, 10L), committed(group, topic));

        Run earliest = ok("--reset-offsets", "--group", group, "--topic", topic, "--to-earliest", "--execute");
        assertEquals(earliest.toString(), "0", earliest.partitionRow(topic, 1)[3]);
        assertEquals(Map.of(0, 0L, 1, 0L, 2, 0L), committed(group, topic));

        ok("--reset-offsets", "--group", group, "--topic", topic, "--to-offset", "7", "--execute");
        assertEquals(Map.of(0, 7L, 1, 7L, 2, 7L), committed(group, topic));
        ok("--reset-offsets", "--group", group, "--topic", topic + ":1", "--to-offset", "4", "--execute");
        assertEquals(Map.of(0, 7L, 1, 4L, 2, 7L), committed(group, topic));

        Run afterReset = ok("--describe", "--group", group);
        assertEquals(afterReset.toString(), List.of("4", "10", "6"), Arrays.asList(afterReset.partitionRow(topic, 1)).subList(3, 6));

        // a consumer of the group starts where the operator put it
        Member again = member("cmd-client-d", group, topic);
        pollUntil("the records after the reset offsets", Duration.ofSeconds(60), List.of(again),
                () -> again.processed.size() >= 3 + 6 + 3);
        for (int round = 0; round < 5; round++) {
            again.poll();
        }
        Map<Integer, Long> first = new TreeMap<>();
        for (Processed r : again.processed) {
            first.merge(r.partition(), r.offset(), Math::min);
        }
        assertEquals(again.processed.toString(), Map.of(0, 7L, 1, 4L, 2, 7L), first);
        assertEquals(again.processed.toString(), 12, again.processed.size());
        again.consumer.commitSync();
        again.close();

        Run deleteOffsets = ok("--delete-offsets", "--group", group, "--topic", topic + ":2");
        assertTrue(deleteOffsets.toString(), deleteOffsets.out().contains("Request succeeded for deleting offsets from group "
                + group + "."));
        assertEquals(Set.of(0, 1), committed(group, topic).keySet());

        Run delete = ok("--delete", "--group", group);
        assertTrue(delete.toString(), delete.out().contains("Deletion of requested consumer groups ('" + group + "') was successful."));
        Run list = ok("--list");
        assertFalse(list.toString(), Arrays.asList(list.out().split("\n")).contains(group));
    }
}
