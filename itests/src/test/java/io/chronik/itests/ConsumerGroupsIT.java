package io.chronik.itests;

import static io.chronik.itests.GroupSupport.await;
import static io.chronik.itests.GroupSupport.balanced;
import static io.chronik.itests.GroupSupport.createTopic;
import static io.chronik.itests.GroupSupport.partitions;
import static io.chronik.itests.GroupSupport.pollUntil;
import static io.chronik.itests.GroupSupport.produce;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.GroupSubscribedToTopicException;
import org.apache.kafka.common.errors.InconsistentGroupProtocolException;
import org.apache.kafka.common.errors.InvalidSessionTimeoutException;
import org.junit.After;
import org.junit.ClassRule;
import org.junit.Test;

import io.chronik.itests.GroupSupport.ChildJvm;
import io.chronik.itests.GroupSupport.Member;
import io.chronik.itests.GroupSupport.Processed;

/**
 * Consumer groups of the stock Java consumer (kafka-clients 4.x, {@code group.protocol=classic}) against
 * {@code bin/chronik start}: assignment by each of the client's assignors, rebalances when a member leaves or crashes,
 * manual and automatic commits, commit metadata, offsets across broker restarts, and the Admin API's group calls.
 */
public class ConsumerGroupsIT {
    @ClassRule
    public static final RunningBroker RUNNING = new RunningBroker(GroupSupport::fastGroupsDistribution);

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @After
    public void closeMembers() {
        for (AutoCloseable c : toClose) {
            try {
                c.close();
            } catch (Exception ignored) {
                // best effort
            }
        }
    }

    private Member member(Broker b, String name, String group, String topic, boolean commitAfterEachBatch, String... overrides) {
        Properties p = new Properties();
        for (int i = 0; i < overrides.length; i += 2) {
            p.put(overrides[i], overrides[i + 1]);
        }
        Member m = new Member(b, name, group, topic, commitAfterEachBatch, p);
        toClose.add(m);
        return m;
    }

    private static Map<TopicPartition, Long> committed(Admin a, String group) throws Exception {
        Map<TopicPartition, Long> out = new TreeMap<>((x, y) -> x.toString().compareTo(y.toString()));
        a.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
                .forEach((tp, om) -> out.put(tp, om == null ? null : om.offset()));
        return out;
    }

    private static Map<TopicPartition, Long> endOffsets(Admin a, String topic, int count) throws Exception {
        Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
        for (TopicPartition tp : partitions(topic, count)) {
            spec.put(tp, OffsetSpec.latest());
        }
        Map<TopicPartition, Long> out = new TreeMap<>((x, y) -> x.toString().compareTo(y.toString()));
        a.listOffsets(spec).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp, info.offset()));
        return out;
    }

    private static ConsumerGroupDescription describe(String group) throws Exception {
        return RUNNING.admin().describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
    }

    @Test
    public void eachAssignorSharesSixPartitionsAmongThreeMembersAndEachRecordIsConsumedOnce() throws Exception {
        Map<Class<?>, String> assignors = new java.util.LinkedHashMap<>();
        assignors.put(RangeAssignor.class, "range");
        assignors.put(RoundRobinAssignor.class, "roundrobin");
        assignors.put(CooperativeStickyAssignor.class, "cooperative-sticky");
        for (Map.Entry<Class<?>, String> assignor : assignors.entrySet()) {
            String protocol = assignor.getValue();
            String topic = "assign-" + protocol;
            String group = "assign-group-" + protocol;
            createTopic(RUNNING.admin(), topic, 6);
            Set<TopicPartition> all = partitions(topic, 6);
            List<Member> members = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                members.add(member(RUNNING.broker(), protocol + "-" + i, group, topic, false,
                        ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, assignor.getKey().getName()));
            }
            pollUntil(protocol + ": three members sharing all 6 partitions, each with some", Duration.ofSeconds(60), members,
                    () -> balanced(members, all));

            // the coordinator's view agrees with the members'
            ConsumerGroupDescription d = describe(group);
            assertEquals(protocol + ": " + d, GroupState.STABLE, d.groupState());
            assertEquals(protocol + ": the protocol the members chose", protocol, d.partitionAssignor());
            assertEquals(protocol + ": " + d, 3, d.members().size());
            for (Member m : members) {
                MemberDescription md = d.members().stream().filter(x -> x.clientId().equals(m.name)).findFirst()
                        .orElseThrow(() -> new AssertionError(protocol + ": no member with client id " + m.name + " in " + d));
                assertEquals(protocol + ": assignment of " + m.name + " as the coordinator stored it", m.assignment(),
                        md.assignment().topicPartitions());
                assertEquals(m.consumer.groupMetadata().memberId(), md.consumerId());
            }

            produce(RUNNING.broker(), topic, 6, 0, 600);
            pollUntil(protocol + ": the 600 records produced after the group settled", Duration.ofSeconds(60), members,
                    () -> members.stream().mapToInt(m -> m.processed.size()).sum() >= 600);
            // a few more polls, in which nothing may arrive twice
            for (int round = 0; round < 5; round++) {
                members.forEach(Member::poll);
            }
            Map<String, Processed> byKey = new HashMap<>();
            for (Member m : members) {
                for (Processed r : m.processed) {
                    Processed earlier = byKey.put(r.key(), r);
                    assertTrue(protocol + ": " + r + " consumed twice (also " + earlier + ")", earlier == null);
                    assertTrue(protocol + ": " + m.name + " got " + r + " of a partition it was not assigned",
                            m.assignedPartitions().contains(r.partition()));
                }
            }
            for (int i = 0; i < 600; i++) {
                assertNotNull(protocol + ": record " + i + " never consumed", byKey.get(GroupSupport.key(topic, i)));
            }
            for (Member m : members) {
                m.close();
            }
        }
    }

    @Test
    public void aMemberThatLeavesHandsItsPartitionsToTheOthersWithoutWaitingForItsSessionToExpire() throws Exception {
        String topic = "leave";
        String group = "leave-group";
        createTopic(RUNNING.admin(), topic, 6);
        Set<TopicPartition> all = partitions(topic, 6);
        String[] conf = {ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName(),
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000"};
        Member a = member(RUNNING.broker(), "leave-a", group, topic, true, conf);
        Member b = member(RUNNING.broker(), "leave-b", group, topic, true, conf);
        Member c = member(RUNNING.broker(), "leave-c", group, topic, true, conf);
        pollUntil("three members sharing all 6 partitions", Duration.ofSeconds(60), List.of(a, b, c),
                () -> balanced(List.of(a, b, c), all));
        Set<TopicPartition> ofA = Set.copyOf(a.assignment());
        Set<TopicPartition> ofB = Set.copyOf(b.assignment());

        long left = System.nanoTime();
        c.close(); // LeaveGroup
        pollUntil("the two remaining members to take over the partitions of the one that left (within its 30 s session "
                + "timeout: LeaveGroup must trigger the rebalance)", Duration.ofSeconds(20), List.of(a, b),
                () -> balanced(List.of(a, b), all));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - left);
        assertTrue("cooperative-sticky: a keeps what it had, " + ofA + " -> " + a.assignment(), a.assignment().containsAll(ofA));
        assertTrue("cooperative-sticky: b keeps what it had, " + ofB + " -> " + b.assignment(), b.assignment().containsAll(ofB));
        assertEquals(2, describe(group).members().size());

        produce(RUNNING.broker(), topic, 6, 0, 60);
        pollUntil("the remaining members to consume 60 records", Duration.ofSeconds(30), List.of(a, b),
                () -> a.processed.size() + b.processed.size() >= 60);
        Set<String> keys = new HashSet<>();
        for (Processed r : a.processed) {
            assertTrue("twice: " + r, keys.add(r.key()));
        }
        for (Processed r : b.processed) {
            assertTrue("twice: " + r, keys.add(r.key()));
        }
        assertEquals(60, keys.size());
        System.out.println("leave-group: takeover " + tookMs + " ms after LeaveGroup");
    }

    @Test
    public void aCrashedMembersPartitionsAreTakenOverFromItsLastCommitWithNothingLostAndNothingCommittedReadAgain()
            throws Exception {
        String topic = "crash";
        String group = "crash-group";
        int perPartition = 100;
        createTopic(RUNNING.admin(), topic, 6);
        produce(RUNNING.broker(), topic, 6, 0, 6 * perPartition);

        // the victim: a consumer in a JVM of its own, slow (2 records per poll, 100 ms per batch), committing each batch
        ChildJvm victim = ChildJvm.start(GroupMemberMain.class.getName(), RUNNING.broker().bootstrap(), group, topic,
                "victim");
        toClose.add(victim);
        await("the victim to be assigned all 6 partitions and to commit", Duration.ofSeconds(60),
                () -> victim.lines().contains("ASSIGNED 0,1,2,3,4,5")
                        && victim.lines().stream().anyMatch(l -> l.startsWith("COMMITTED ")),
                () -> "victim output:\n" + String.join("\n", victim.lines()) + "\nvictim stderr:\n" + victim.stderr());

        Member survivor = member(RUNNING.broker(), "survivor", group, topic, true,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "20");
        pollUntil("the survivor and the victim to share the 6 partitions, and the victim to commit in its new assignment",
                Duration.ofSeconds(60), List.of(survivor), () -> {
                    List<String> lines = victim.lines();
                    int lastAssigned = -1;
                    for (int i = 0; i < lines.size(); i++) {
                        if (lines.get(i).startsWith("ASSIGNED ")) {
                            lastAssigned = i;
                        }
                    }
                    if (lastAssigned < 0 || survivor.assignment().isEmpty()) {
                        return false;
                    }
                    Set<Integer> ofVictim = parsePartitions(lines.get(lastAssigned).substring("ASSIGNED ".length()));
                    Set<Integer> union = new TreeSet<>(ofVictim);
                    union.addAll(survivor.assignedPartitions());
                    boolean committedSince = lines.subList(lastAssigned, lines.size()).stream()
                            .anyMatch(l -> l.startsWith("COMMITTED "));
                    return !ofVictim.isEmpty() && union.size() == 6
                            && ofVictim.size() + survivor.assignedPartitions().size() == 6 && committedSince;
                });

        Set<Integer> survivorsBefore = survivor.assignedPartitions();
        int survivorProcessedBeforeKill = survivor.processed.size();
        victim.kill(); // SIGKILL: no LeaveGroup, no last commit
        long killed = System.nanoTime();
        long[] takeoverMs = {-1};
        pollUntil("the survivor to own all 6 partitions after the victim's 6 s session expired, and the group's committed "
                + "offsets to reach the end of every partition", Duration.ofSeconds(45), List.of(survivor), () -> {
                    if (survivor.assignment().size() == 6 && takeoverMs[0] < 0) {
                        takeoverMs[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
                    }
                    return survivor.assignment().size() == 6
                            && committed(RUNNING.admin(), group).values().stream().filter(o -> o != null && o == perPartition).count() == 6;
                });

        // what the victim processed and committed, from its output
        List<String> lines = victim.lines();
        Map<Integer, List<Long>> victimProcessed = new TreeMap<>();
        Map<Integer, Long> victimCommitted = new TreeMap<>(); // last COMMITTED per partition
        Map<Integer, Long> victimCommitting = new TreeMap<>(); // last COMMITTING per partition
        for (String line : lines) {
            String[] w = line.split(" ");
            if (w[0].equals("R")) {
                victimProcessed.computeIfAbsent(Integer.parseInt(w[1]), k -> new ArrayList<>()).add(Long.parseLong(w[2]));
            } else if (w[0].equals("COMMITTED") || w[0].equals("COMMITTING")) {
                for (String po : w[1].split(",")) {
                    String[] kv = po.split("=");
                    (w[0].equals("COMMITTED") ? victimCommitted : victimCommitting).put(Integer.parseInt(kv[0]), Long.parseLong(kv[1]));
                }
            }
        }
        assertFalse("the victim's output shows no records processed:\n" + String.join("\n", lines), victimProcessed.isEmpty());

        // the offsets committed for each partition when the victim died: the last commit of either member
        Map<Integer, Long> committedAtKill = new TreeMap<>(victimCommitted);
        List<Processed> survivorBefore = survivor.processed.subList(0, survivorProcessedBeforeKill);
        List<Processed> survivorAfter = survivor.processed.subList(survivorProcessedBeforeKill, survivor.processed.size());
        for (Processed r : survivorBefore) {
            committedAtKill.merge(r.partition(), r.offset() + 1, Math::max);
        }
        for (int p = 0; p < 6; p++) {
            Set<Long> allowed = new TreeSet<>();
            allowed.add(committedAtKill.getOrDefault(p, 0L));
            Long committing = victimCommitting.get(p);
            if (committing != null && committing > committedAtKill.getOrDefault(p, 0L)) {
                allowed.add(committing); // killed between sending a commit and seeing its answer
            }
            final int partition = p;
            Long firstAfter = survivorAfter.stream().filter(r -> r.partition() == partition).map(Processed::offset).min(Long::compare)
                    .orElse(null);
            if (firstAfter != null && !survivorsBefore.contains(p)) {
                assertTrue("partition " + p + " was the victim's; the survivor resumed it at offset " + firstAfter
                        + ", not at the committed position " + allowed + "; victim output:\n" + String.join("\n", lines),
                        allowed.contains(firstAfter));
            }
        }

        // every record processed at least once; twice only if the victim processed it after its last commit
        Map<Integer, Map<Long, Integer>> times = new TreeMap<>();
        victimProcessed.forEach((p, offsets) -> offsets.forEach(o -> times.computeIfAbsent(p, k -> new TreeMap<>()).merge(o, 1, Integer::sum)));
        for (Processed r : survivor.processed) {
            times.computeIfAbsent(r.partition(), k -> new TreeMap<>()).merge(r.offset(), 1, Integer::sum);
        }
        Set<Long> survivorSeen = new HashSet<>();
        for (Processed r : survivor.processed) {
            assertTrue("the survivor processed " + r + " twice", survivorSeen.add(((long) r.partition() << 32) | r.offset()));
        }
        victimProcessed.forEach((p, offsets) -> assertEquals("the victim processed a record of partition " + p + " twice: "
                + offsets, offsets.size(), new HashSet<>(offsets).size()));
        List<String> redelivered = new ArrayList<>();
        for (int p = 0; p < 6; p++) {
            Map<Long, Integer> t = times.getOrDefault(p, Map.of());
            for (long o = 0; o < perPartition; o++) {
                int n = t.getOrDefault(o, 0);
                assertTrue("record " + p + "@" + o + " was never processed: lost", n >= 1);
                if (n > 1) {
                    long lastCommit = victimCommitted.getOrDefault(p, 0L);
                    assertTrue("record " + p + "@" + o + " processed " + n + " times although the victim had committed "
                            + lastCommit + " for partition " + p + ": a committed record was read again", o >= lastCommit);
                    redelivered.add(p + "@" + o);
                }
            }
        }
        assertEquals(endOffsets(RUNNING.admin(), topic, 6), committed(RUNNING.admin(), group));
        System.out.println("crash-group: takeover " + takeoverMs[0] + " ms after SIGKILL; redelivered " + redelivered);
    }

    private static Set<Integer> parsePartitions(String list) {
        Set<Integer> out = new TreeSet<>();
        for (String s : list.split(",")) {
            if (!s.isBlank()) {
                out.add(Integer.parseInt(s.trim()));
            }
        }
        return out;
    }

    @Test
    public void theCoordinatorRefusesASessionTimeoutBelowItsMinimumAndAnInconsistentProtocol() throws Exception {
        String topic = "refused";
        createTopic(RUNNING.admin(), topic, 1);
        // group.min.session.timeout.ms is 6000 by default
        Member tooShort = member(RUNNING.broker(), "too-short", "refused-session", topic, false,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "3000");
        assertPollFails(tooShort, InvalidSessionTimeoutException.class);

        Member range = member(RUNNING.broker(), "range-only", "refused-protocol", topic, false,
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName());
        pollUntil("the first member's assignment", Duration.ofSeconds(30), List.of(range), () -> range.assignment().size() == 1);
        Member roundRobin = member(RUNNING.broker(), "roundrobin-only", "refused-protocol", topic, false,
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RoundRobinAssignor.class.getName());
        assertPollFails(roundRobin, InconsistentGroupProtocolException.class);
        range.poll();
        assertEquals("the member already in the group keeps its partition", 1, range.assignment().size());
    }

    private static void assertPollFails(Member m, Class<? extends Exception> expected) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                m.poll();
            } catch (Exception e) {
                assertTrue(m.name + ": expected " + expected.getSimpleName() + ", got " + e, expected.isInstance(e));
                return;
            }
        }
        throw new AssertionError(m.name + ": poll did not fail with " + expected.getSimpleName() + " in 30 s: " + m);
    }

    @Test
    public void automaticCommitsReachTheEndOffsets() throws Exception {
        String topic = "autocommit";
        String group = "autocommit-group";
        createTopic(RUNNING.admin(), topic, 3);
        produce(RUNNING.broker(), topic, 3, 0, 90);
        Member m = member(RUNNING.broker(), "auto", group, topic, false,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "true", ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, "100");
        pollUntil("90 records", Duration.ofSeconds(60), List.of(m), () -> m.processed.size() >= 90);
        Map<TopicPartition, Long> ends = endOffsets(RUNNING.admin(), topic, 3);
        // while the consumer is still polling: the periodic automatic commit, not the one on close
        pollUntil("the automatic commits to reach the end offsets " + ends, Duration.ofSeconds(20), List.of(m),
                () -> committed(RUNNING.admin(), group).equals(ends));
        m.close();
        assertEquals(ends, committed(RUNNING.admin(), group));
        assertEquals(90, m.processed.size());
    }

    @Test
    public void aCommitCarriesItsMetadata() throws Exception {
        String topic = "metadata";
        String group = "metadata-group";
        createTopic(RUNNING.admin(), topic, 2);
        produce(RUNNING.broker(), topic, 2, 0, 20);
        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        Member m = member(RUNNING.broker(), "meta", group, topic, false);
        pollUntil("both partitions assigned", Duration.ofSeconds(30), List.of(m), () -> m.assignment().size() == 2);
        m.consumer.commitSync(Map.of(p0, new OffsetAndMetadata(3, "meta-x"), p1, new OffsetAndMetadata(7, "meta-y")));
        Map<TopicPartition, OffsetAndMetadata> got = m.consumer.committed(Set.of(p0, p1), Duration.ofSeconds(10));
        assertEquals(3, got.get(p0).offset());
        assertEquals("meta-x", got.get(p0).metadata());
        assertEquals(7, got.get(p1).offset());
        assertEquals("meta-y", got.get(p1).metadata());
        Map<TopicPartition, OffsetAndMetadata> listed = RUNNING.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        assertEquals("meta-x", listed.get(p0).metadata());
        assertEquals(7, listed.get(p1).offset());

        // a consumer of assigned partitions (no membership) commits to a group of its own, and another one reads it
        Properties standalone = RUNNING.broker().consumerConfig();
        standalone.put(ConsumerConfig.GROUP_ID_CONFIG, "metadata-standalone");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(standalone)) {
            c.assign(List.of(p0));
            c.commitSync(Map.of(p0, new OffsetAndMetadata(5, "standalone")));
        }
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(standalone)) {
            OffsetAndMetadata om = c.committed(Set.of(p0), Duration.ofSeconds(10)).get(p0);
            assertEquals(5, om.offset());
            assertEquals("standalone", om.metadata());
            c.assign(List.of(p0));
            assertEquals("a consumer starts at the committed offset", 5, c.position(p0, Duration.ofSeconds(10)));
        }
    }

    @Test
    public void committedOffsetsSurviveARestartAndAKill() throws Exception {
        try (Broker own = Broker.start(RUNNING.broker().home); Admin a = Admin.create(own.adminConfig())) {
            String topic = "restart-offsets";
            String group = "restart-group";
            createTopic(a, topic, 3);
            produce(own, topic, 3, 0, 60); // 20 per partition
            TopicPartition p0 = new TopicPartition(topic, 0);
            TopicPartition p1 = new TopicPartition(topic, 1);
            TopicPartition p2 = new TopicPartition(topic, 2);
            Member first = member(own, "restart-1", group, topic, false);
            pollUntil("all 3 partitions assigned", Duration.ofSeconds(30), List.of(first), () -> first.assignment().size() == 3);
            first.consumer.commitSync(Map.of(p0, new OffsetAndMetadata(4, "four"), p1, new OffsetAndMetadata(11),
                    p2, new OffsetAndMetadata(20)));
            first.close();

            own.stop();
            own.start();

            // its session outlives the kill below (the restarted broker loads the group with it as a member), so keep
            // it short: the next member's join waits for it to expire, as in Kafka
            Member second = member(own, "restart-2", group, topic, true, ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "6000");
            pollUntil("the records after the committed offsets, after a restart", Duration.ofSeconds(60), List.of(second),
                    () -> second.processed.size() >= 16 + 9);
            for (int round = 0; round < 5; round++) {
                second.poll();
            }
            Map<Integer, Long> first0 = new TreeMap<>();
            for (Processed r : second.processed) {
                first0.merge(r.partition(), r.offset(), Math::min);
            }
            assertEquals("resumed at the committed offsets: " + second.processed, Map.of(0, 4L, 1, 11L), first0);
            assertEquals(16 + 9, second.processed.size());
            OffsetAndMetadata om = second.consumer.committed(Set.of(p0), Duration.ofSeconds(10)).get(p0);
            assertEquals(20, om.offset()); // committed by second after processing

            produce(own, topic, 3, 60, 90); // 10 more per partition
            pollUntil("the 30 new records", Duration.ofSeconds(30), List.of(second), () -> second.processed.size() >= 25 + 30);
            Map<TopicPartition, Long> acknowledged = committed(a, group);
            assertEquals(Map.of(p0, 30L, p1, 30L, p2, 30L), acknowledged);
            // and offsets of more groups, so that every partition of __consumer_offsets likely holds some
            for (int g = 0; g < 24; g++) {
                a.alterConsumerGroupOffsets("restart-many-" + g, Map.of(p0, new OffsetAndMetadata(g), p1,
                        new OffsetAndMetadata(g + 1, "g" + g))).all().get(30, TimeUnit.SECONDS);
            }
            // SIGKILL the broker right after the commits returned, the member still in the group
            own.kill();
            own.start();
            second.close();

            assertEquals("commits whose commitSync returned survive kill -9", Map.of(p0, 30L, p1, 30L, p2, 30L),
                    committed(a, group));
            for (int g = 0; g < 24; g++) {
                Map<TopicPartition, OffsetAndMetadata> offsets = a.listConsumerGroupOffsets("restart-many-" + g)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                assertEquals("restart-many-" + g + ": " + offsets, 2, offsets.size());
                assertEquals("restart-many-" + g + ": " + offsets, g, offsets.get(p0).offset());
                assertEquals("restart-many-" + g + ": " + offsets, g + 1, offsets.get(p1).offset());
                assertEquals("restart-many-" + g + ": " + offsets, "g" + g, offsets.get(p1).metadata());
            }
            produce(own, topic, 3, 90, 93);
            Member third = member(own, "restart-3", group, topic, true);
            pollUntil("the 3 records after the kill", Duration.ofSeconds(60), List.of(third), () -> third.processed.size() >= 3);
            for (int round = 0; round < 5; round++) {
                third.poll();
            }
            assertEquals(third.processed.toString(), 3, third.processed.size());
            for (Processed r : third.processed) {
                assertEquals(r.toString(), 30, r.offset());
            }
        }
    }

    @Test
    public void anEmptyGroupIsListedFromTheMomentTheBrokerIsBackAfterARestartOrAKill() throws Exception {
        try (Broker own = Broker.start(RUNNING.broker().home); Admin a = Admin.create(own.adminConfig())) {
            String topic = "relisted";
            String group = "relisted-group";
            createTopic(a, topic, 1);
            produce(own, topic, 1, 0, 5);
            Member m = member(own, "relisted", group, topic, true);
            pollUntil("the 5 records", Duration.ofSeconds(30), List.of(m), () -> m.processed.size() >= 5);
            m.close();
            assertTrue(a.listGroups().all().get().stream().anyMatch(g -> g.groupId().equals(group)));

            own.stop();
            own.start();
            assertListedFromTheStart(own, group, "stop + start");
            own.kill();
            own.start();
            assertListedFromTheStart(own, group, "kill -9 + start");
        }
    }

    /**
     * Right after a restart, every ListGroups answer lists {@code group}: Kafka answers COORDINATOR_LOAD_IN_PROGRESS
     * (which the admin client retries) until it has loaded the groups of the offsets partitions it leads, never a list
     * without them.
     */
    private static void assertListedFromTheStart(Broker b, String group, String restart) throws Exception {
        long started = System.nanoTime();
        List<String> answers = new ArrayList<>();
        // a new client, connected at once (one connected before the restart may still be backing off)
        try (Admin a = Admin.create(b.adminConfig())) {
            while (System.nanoTime() - started < TimeUnit.SECONDS.toNanos(3)) {
                Collection<GroupListing> listed = a.listGroups().all().get(30, TimeUnit.SECONDS);
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                answers.add(ms + " ms: " + listed.stream().map(GroupListing::groupId).toList());
                if (listed.stream().noneMatch(g -> g.groupId().equals(group))) {
                    String out = b.output();
                    String leaders;
                    try {
                        leaders = a.describeTopics(List.of("__consumer_offsets")).allTopicNames().get(10, TimeUnit.SECONDS)
                                .get("__consumer_offsets").partitions().stream()
                                .map(p -> p.partition() + "=" + (p.leader() == null ? "none" : p.leader().id()))
                                .collect(Collectors.joining(", "));
                    } catch (ExecutionException e) {
                        leaders = e.getCause().toString();
                    }
                    throw new AssertionError("after " + restart + ", ListGroups answered without " + group + " (an empty group "
                            + "with committed offsets); answers since the broker printed 'started in':\n" + String.join("\n", answers)
                            + "\nleaders of __consumer_offsets' partitions just after: " + leaders
                            + "\nbroker output since its start:\n" + out.substring(Math.max(0, out.lastIndexOf("\n", out.lastIndexOf("started in")))));
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    @SuppressWarnings("deprecation")
    public void adminListsDescribesAltersAndDeletesGroupsAndOffsets() throws Exception {
        String topic = "admin-groups";
        String group = "admin-group";
        createTopic(RUNNING.admin(), topic, 4);
        produce(RUNNING.broker(), topic, 4, 0, 40);
        Set<TopicPartition> all = partitions(topic, 4);
        Member one = member(RUNNING.broker(), "admin-one", group, topic, true);
        Member two = member(RUNNING.broker(), "admin-two", group, topic, true);
        pollUntil("two members sharing 4 partitions", Duration.ofSeconds(60), List.of(one, two),
                () -> balanced(List.of(one, two), all) && one.processed.size() + two.processed.size() == 40);

        Collection<GroupListing> groups = RUNNING.admin().listGroups().all().get(30, TimeUnit.SECONDS);
        GroupListing listing = groups.stream().filter(g -> g.groupId().equals(group)).findFirst()
                .orElseThrow(() -> new AssertionError("listGroups does not show " + group + ": " + groups));
        assertEquals(listing.toString(), "consumer", listing.protocol());
        listing.type().ifPresent(t -> assertEquals(listing.toString(), GroupType.CLASSIC, t));
        listing.groupState().ifPresent(s -> assertEquals(listing.toString(), GroupState.STABLE, s));
        Collection<GroupListing> consumerGroups =
                RUNNING.admin().listGroups(ListGroupsOptions.forConsumerGroups()).all().get();
        assertTrue(consumerGroups.toString(), consumerGroups.stream().anyMatch(g -> g.groupId().equals(group)));
        Collection<ConsumerGroupListing> legacy = RUNNING.admin().listConsumerGroups().all().get();
        assertTrue(legacy.toString(), legacy.stream().anyMatch(g -> g.groupId().equals(group)));
        Collection<GroupListing> stable = RUNNING.admin().listGroups(ListGroupsOptions.forConsumerGroups()
                .inGroupStates(Set.of(GroupState.STABLE))).all().get();
        assertTrue("filtered by state Stable: " + stable, stable.stream().anyMatch(g -> g.groupId().equals(group)));
        Collection<GroupListing> empty = RUNNING.admin().listGroups(ListGroupsOptions.forConsumerGroups()
                .inGroupStates(Set.of(GroupState.EMPTY))).all().get();
        assertFalse("filtered by state Empty: " + empty, empty.stream().anyMatch(g -> g.groupId().equals(group)));

        ConsumerGroupDescription d = describe(group);
        assertEquals(d.toString(), GroupState.STABLE, d.groupState());
        assertEquals(d.toString(), "range", d.partitionAssignor());
        assertFalse(d.isSimpleConsumerGroup());
        assertEquals(d.toString(), RUNNING.broker().kafkaPort, d.coordinator().port());
        assertEquals(d.toString(), Set.of("admin-one", "admin-two"),
                d.members().stream().map(MemberDescription::clientId).collect(Collectors.toSet()));
        Set<TopicPartition> described = new HashSet<>();
        for (MemberDescription md : d.members()) {
            assertTrue(md.toString(), md.host().contains("127.0.0.1"));
            Member m = md.clientId().equals("admin-one") ? one : two;
            assertEquals(md.toString(), m.consumer.groupMetadata().memberId(), md.consumerId());
            assertEquals(md.toString(), m.assignment(), md.assignment().topicPartitions());
            described.addAll(md.assignment().topicPartitions());
        }
        assertEquals(all, described);

        ExecutionException notEmpty = assertThrows(ExecutionException.class,
                () -> RUNNING.admin().deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS));
        assertTrue(notEmpty.getCause().toString(), notEmpty.getCause() instanceof GroupNotEmptyException);
        ExecutionException subscribed = assertThrows(ExecutionException.class, () -> RUNNING.admin()
                .deleteConsumerGroupOffsets(group, Set.of(new TopicPartition(topic, 0))).all().get(30, TimeUnit.SECONDS));
        assertTrue(subscribed.getCause().toString(), subscribed.getCause() instanceof GroupSubscribedToTopicException);
        ExecutionException unknown = assertThrows(ExecutionException.class,
                () -> RUNNING.admin().deleteConsumerGroups(List.of("no-such-group")).all().get(30, TimeUnit.SECONDS));
        assertTrue(unknown.getCause().toString(), unknown.getCause() instanceof GroupIdNotFoundException);

        one.close();
        two.close();
        ConsumerGroupDescription emptied = describe(group);
        assertEquals(emptied.toString(), GroupState.EMPTY, emptied.groupState());
        assertTrue(emptied.toString(), emptied.members().isEmpty());
        assertEquals(endOffsets(RUNNING.admin(), topic, 4), committed(RUNNING.admin(), group));

        TopicPartition p0 = new TopicPartition(topic, 0);
        TopicPartition p1 = new TopicPartition(topic, 1);
        RUNNING.admin().alterConsumerGroupOffsets(group, Map.of(p0, new OffsetAndMetadata(2), p1, new OffsetAndMetadata(7, "altered")))
                .all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> altered = RUNNING.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        assertEquals(2, altered.get(p0).offset());
        assertEquals(7, altered.get(p1).offset());
        assertEquals("altered", altered.get(p1).metadata());
        assertEquals(10, altered.get(new TopicPartition(topic, 2)).offset());

        RUNNING.admin().deleteConsumerGroupOffsets(group, Set.of(p0)).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> afterDelete = committed(RUNNING.admin(), group);
        assertFalse("offset of " + p0 + " deleted: " + afterDelete, afterDelete.get(p0) != null);
        assertEquals(Long.valueOf(7), afterDelete.get(p1));

        // a member that joins now starts where the offsets were altered to, and at the beginning where deleted
        Member three = member(RUNNING.broker(), "admin-three", group, topic, false);
        // partition 0 from the beginning (10), partition 1 from 7 (3), partitions 2 and 3 from their end (0)
        pollUntil("the records after the altered offsets", Duration.ofSeconds(60), List.of(three),
                () -> three.processed.size() >= 10 + 3);
        for (int round = 0; round < 5; round++) {
            three.poll();
        }
        Map<Integer, Long> firstOffsets = new TreeMap<>();
        three.processed.forEach(r -> firstOffsets.merge(r.partition(), r.offset(), Math::min));
        assertEquals(three.processed.toString(), Map.of(0, 0L, 1, 7L), firstOffsets);
        assertEquals(three.processed.toString(), 13, three.processed.size());
        three.close();

        RUNNING.admin().deleteConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS);
        Collection<GroupListing> after = RUNNING.admin().listGroups().all().get();
        assertFalse("deleted group still listed: " + after, after.stream().anyMatch(g -> g.groupId().equals(group)));
        try {
            Map<TopicPartition, OffsetAndMetadata> gone = RUNNING.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            assertTrue("offsets of a deleted group: " + gone, gone.values().stream().allMatch(x -> x == null));
        } catch (ExecutionException e) {
            assertTrue(e.getCause().toString(), e.getCause() instanceof GroupIdNotFoundException);
        }
    }
}
