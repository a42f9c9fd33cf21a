package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.Test;

import io.chronik.api.consensus.ConsensusException.Reason;

/** Placement as a pure function of the metadata state: balance, racks, determinism, explicit assignments. */
public class ReplicaPlacerTest {

    private static MetadataState brokers(String... racks) throws Exception {
        MetadataState s = MetadataState.EMPTY;
        for (int i = 0; i < racks.length; i++) {
            s = apply(s, new MetaCommand.RegisterBroker(i + 1, "h" + (i + 1), 9092, racks[i], "r" + (i + 1), 5001, "c"));
        }
        return s;
    }

    private static MetadataState apply(MetadataState s, MetaCommand c) throws Exception {
        MetaCommand.Applied a = MetaCommand.decode(c.encode()).apply(s);
        a.result().orThrow();
        return a.state();
    }

    private static MetaResult.Failed refused(MetadataState s, MetaCommand c) throws Exception {
        MetaResult r = MetaCommand.decode(c.encode()).apply(s).result();
        assertTrue("expected a refusal, got " + r, r instanceof MetaResult.Failed);
        return (MetaResult.Failed) r;
    }

    /** The replica list of every partition of every topic, in topic name order. */
    private static List<List<Integer>> replicaLists(MetadataState s) {
        List<List<Integer>> lists = new ArrayList<>();
        for (MetadataState.Topic t : s.topics.values()) {
            for (Integer g : t.groups()) {
                lists.add(s.groups.get(g).replicas());
            }
        }
        return lists;
    }

    private static void assertSpreadWithin(Map<Integer, Integer> counts, int brokers, int tolerance, String what) {
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (int id = 1; id <= brokers; id++) {
            int c = counts.getOrDefault(id, 0);
            min = Math.min(min, c);
            max = Math.max(max, c);
        }
        assertTrue(what + " per broker " + counts + " differ by more than " + tolerance, max - min <= tolerance);
    }

    private static void assertBalanced(MetadataState s, int brokers) {
        Map<Integer, Integer> replicas = new TreeMap<>();
        Map<Integer, Integer> leaders = new TreeMap<>();
        for (List<Integer> list : replicaLists(s)) {
            leaders.merge(list.get(0), 1, Integer::sum);
            for (Integer r : list) {
                replicas.merge(r, 1, Integer::sum);
            }
        }
        // leaders first: greedy placement keeps preferred leaders within one, replicas within two
        assertSpreadWithin(leaders, brokers, 1, "preferred leaders");
        assertSpreadWithin(replicas, brokers, 2, "replicas");
    }

    @Test
    public void manyTopicsOfMixedSizesStayBalancedInPartitionsAndLeaders() throws Exception {
        MetadataState s = brokers(null, null, null, null, null);
        int[] sizes = {1, 3, 7, 2, 5, 1, 4, 6, 2, 3};
        for (int i = 0; i < 40; i++) {
            int rf = 1 + i % 3;
            s = apply(s, new MetaCommand.CreateTopic("t" + i, UUID.randomUUID(), sizes[i % sizes.length], rf, Map.of(), 1000));
            assertBalanced(s, 5);
        }
        s = apply(s, new MetaCommand.CreatePartitions("t0", 9, 1000));
        assertBalanced(s, 5);
        for (List<Integer> list : replicaLists(s)) {
            assertEquals("replicas of one partition are distinct: " + list, list.size(), new HashSet<>(list).size());
        }
    }

    @Test
    public void beyondTheBudgetPartitionsShareGroupsAndStayBalanced() throws Exception {
        MetadataState s = brokers(null, null, null);
        for (int i = 0; i < 10; i++) {
            s = apply(s, new MetaCommand.CreateTopic("t" + i, UUID.randomUUID(), 6, 2, Map.of(), 6));
        }
        assertEquals("no more groups than the budget", 6, s.groups.size());
        assertBalanced(s, 3);
        Map<Integer, Integer> perGroup = s.partitionsPerGroup();
        int min = perGroup.values().stream().min(Integer::compare).orElseThrow();
        int max = perGroup.values().stream().max(Integer::compare).orElseThrow();
        assertTrue("partitions per group " + perGroup, max - min <= 1);
    }

    @Test
    public void replicasOfOnePartitionGoToDistinctRacks() throws Exception {
        MetadataState s = brokers("a", "a", "b", "b", "c", "c");
        for (int i = 0; i < 12; i++) {
            s = apply(s, new MetaCommand.CreateTopic("t" + i, UUID.randomUUID(), 4, 3, Map.of(), 1000));
        }
        for (List<Integer> list : replicaLists(s)) {
            Set<String> racks = new HashSet<>();
            for (Integer r : list) {
                racks.add(s.brokers.get(r).rack());
            }
            assertEquals("racks of " + list, 3, racks.size());
        }
        assertBalanced(s, 6);

        // fewer racks than replicas: every rack is used before one is used twice
        MetadataState two = brokers("a", "a", "a", "b");
        two = apply(two, new MetaCommand.CreateTopic("t", UUID.randomUUID(), 8, 2, Map.of(), 1000));
        for (List<Integer> list : replicaLists(two)) {
            assertTrue("rack b in " + list, list.contains(4));
        }
    }

    @Test
    public void theSameStateAndCommandGiveTheSamePlacement() throws Exception {
        MetadataState base = brokers("x", null, "y", "x");
        for (int i = 0; i < 5; i++) {
            base = apply(base, new MetaCommand.CreateTopic("t" + i, UUID.randomUUID(), 3, 2, Map.of(), 8));
        }
        MetaCommand cmd = new MetaCommand.CreateTopic("next", UUID.randomUUID(), 7, 3, Map.of(), 8);
        MetadataState a = apply(base, cmd);
        // another node applies the same entry on a state rebuilt from a snapshot
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        MetadataSnapshotCodec.write(base, new java.io.DataOutputStream(bytes));
        MetadataState copy = MetadataSnapshotCodec.read(new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray())));
        MetadataState b = apply(copy, MetaCommand.decode(cmd.encode()));
        assertEquals(a.topics, b.topics);
        assertEquals(a.groups, b.groups);
        assertEquals(a.nextGroupNo, b.nextGroupNo);
    }

    @Test
    public void entriesFromBeforeBalancedPlacementArePlacedAsThen() throws Exception {
        MetadataState s = brokers(null, null, null);
        MetaCommand legacy = new MetaCommand.CreateTopic("old", UUID.randomUUID(), 4, 2, Map.of(), 3, false, List.of());
        MetaCommand decoded = MetaCommand.decode(legacy.encode());
        assertEquals(legacy, decoded);
        s = apply(s, decoded);
        // round robin by group number, then the least loaded group
        assertEquals(List.of(1, 2), s.groups.get(0).replicas());
        assertEquals(List.of(2, 3), s.groups.get(1).replicas());
        assertEquals(List.of(3, 1), s.groups.get(2).replicas());
        assertEquals(List.of(0, 1, 2, 0), s.topics.get("old").groups());
    }

    @Test
    public void anExplicitAssignmentIsKeptExactly() throws Exception {
        MetadataState s = brokers(null, null, null);
        List<List<Integer>> assignment = List.of(List.of(3, 1), List.of(2, 3), List.of(3, 1));
        MetaCommand cmd = new MetaCommand.CreateTopic("m", UUID.randomUUID(), -1, -1, Map.of(), 2, true, assignment);
        assertEquals(cmd, MetaCommand.decode(cmd.encode()));
        s = apply(s, cmd);
        assertEquals(assignment, replicaLists(s));
        // beyond the budget (2 groups): the third partition shares the group with its exact replica list
        assertEquals(s.topics.get("m").groups().get(0), s.topics.get("m").groups().get(2));

        s = apply(s, new MetaCommand.CreatePartitions("m", 5, 2, true, List.of(List.of(1, 2), List.of(2, 1))));
        List<List<Integer>> lists = replicaLists(s);
        assertEquals(List.of(1, 2), lists.get(3));
        assertEquals(List.of(2, 1), lists.get(4));
    }

    @Test
    public void badAssignmentsAreRefusedWithoutChangingTheState() throws Exception {
        MetadataState s = brokers(null, null, null);
        Map<String, List<List<Integer>>> bad = new TreeMap<>();
        bad.put("unknown broker", List.of(List.of(1, 9)));
        bad.put("duplicate", List.of(List.of(1, 1)));
        bad.put("uneven", List.of(List.of(1, 2), List.of(3)));
        bad.put("empty list", List.of(List.of()));
        for (Map.Entry<String, List<List<Integer>>> e : bad.entrySet()) {
            MetaResult.Failed f = refused(s, new MetaCommand.CreateTopic("x", UUID.randomUUID(), -1, -1, Map.of(), 8,
                    true, e.getValue()));
            assertEquals(e.getKey(), Reason.INVALID_REPLICA_ASSIGNMENT, f.error());
        }
        assertNull(ReplicaPlacer.checkAssignment(s.liveBrokers(), List.of(List.of(1, 2), List.of(2, 3)), -1));

        s = apply(s, new MetaCommand.CreateTopic("t", UUID.randomUUID(), 1, 2, Map.of(), 8));
        assertEquals(Reason.INVALID_REPLICA_ASSIGNMENT,
                refused(s, new MetaCommand.CreatePartitions("t", 2, 8, true, List.of(List.of(1, 2, 3)))).error());
        assertEquals(Reason.INVALID_REPLICA_ASSIGNMENT,
                refused(s, new MetaCommand.CreatePartitions("t", 3, 8, true, List.of(List.of(1, 2)))).error());
        assertEquals(Reason.INVALID_REPLICATION_FACTOR,
                refused(s, new MetaCommand.CreateTopic("big", UUID.randomUUID(), 1, 4, Map.of(), 8)).error());
    }
}
