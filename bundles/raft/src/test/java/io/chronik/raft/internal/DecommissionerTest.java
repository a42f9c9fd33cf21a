package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import org.junit.Test;

import io.chronik.api.consensus.Reassignment;

/**
 * The decommission plan as a pure function of the metadata state: which broker replaces the leaving one, in which
 * position, by rack and load; refusals; reassignments already under way; and when the metadata vote may go.
 */
public class DecommissionerTest {

    /** A reassignment in progress as ClusterMetadata reports it. */
    private record Moving(String topic, int partition, List<Integer> currentReplicas, List<Integer> targetReplicas)
            implements Reassignment {
    }

    private static MetadataState brokers(String... racks) throws Exception {
        MetadataState s = MetadataState.EMPTY;
        for (int i = 0; i < racks.length; i++) {
            s = apply(s, new MetaCommand.RegisterBroker(i + 1, "h" + (i + 1), 9092, racks[i], "r" + (i + 1), 5001, "c"));
        }
        return s;
    }

    private static MetadataState apply(MetadataState s, MetaCommand c) throws Exception {
        MetaCommand.Applied a = MetaCommand.decode(c.encode()).apply(s, 100);
        a.result().orThrow();
        return a.state();
    }

    private static MetadataState assigned(MetadataState s, String topic, List<List<Integer>> assignment) throws Exception {
        return apply(s, new MetaCommand.CreateTopic(topic, UUID.randomUUID(), -1, -1, Map.of(), 1000, true, assignment));
    }

    private static List<Integer> replicas(MetadataState s, String topic, int p) {
        return s.groups.get(s.topics.get(topic).groups().get(p)).replicas();
    }

    @Test
    public void theReplacementTakesTheLeavingBrokersPositionSoItBecomesThePreferredLeader() throws Exception {
        MetadataState s = assigned(brokers(null, null, null, null), "t",
                List.of(List.of(4, 1, 2), List.of(1, 4, 3), List.of(2, 3, 4), List.of(1, 2, 3)));
        Decommissioner.Plan plan = Decommissioner.plan(s, 4, List.of());
        assertNull(plan.refusal());
        assertEquals(3, plan.remaining());
        assertEquals(List.of(new Decommissioner.Move("t", 0, List.of(3, 1, 2)),
                new Decommissioner.Move("t", 1, List.of(1, 2, 3)),
                new Decommissioner.Move("t", 2, List.of(2, 3, 1))), plan.moves());
    }

    @Test
    public void aReplacementOnARackThePartitionDoesNotUseYetWinsOverALessLoadedBroker() throws Exception {
        // 2 shares rack "a" with 1 and holds nothing; 3 (rack "b") is busier but its rack is unused by [4, 1]
        MetadataState s = brokers("a", "a", "b", "c");
        s = assigned(s, "busy", List.of(List.of(3), List.of(3), List.of(3)));
        s = assigned(s, "t", List.of(List.of(4, 1)));
        Decommissioner.Plan plan = Decommissioner.plan(s, 4, List.of());
        assertEquals(List.of(new Decommissioner.Move("t", 0, List.of(3, 1))), plan.moves());
    }

    @Test
    public void onlyTheLeavingReplicaChangesAndNeverToAnIneligibleBroker() throws Exception {
        MetadataState s = brokers(null, null, null, null, null);
        s = apply(s, new MetaCommand.CreateTopic("t", UUID.randomUUID(), 60, 3, Map.of(), 1000));
        // broker 6 registers later and is fenced: it holds nothing and takes no replica
        s = apply(s, new MetaCommand.RegisterBroker(6, "h6", 9092, null, "r6", 5001, "c"));
        s = apply(s, new MetaCommand.FenceBroker(6));
        Decommissioner.Plan plan = Decommissioner.plan(s, 5, List.of());
        assertNull(plan.refusal());
        Map<Integer, Integer> added = new TreeMap<>();
        Map<Integer, Integer> leadersAdded = new TreeMap<>();
        for (Decommissioner.Move m : plan.moves()) {
            List<Integer> before = replicas(s, m.topic(), m.partition());
            assertEquals(before.size(), m.target().size());
            int position = before.indexOf(5);
            assertFalse(m.target().contains(5));
            assertTrue("not onto the fenced broker", m.target().get(position) != 6);
            assertEquals(m.target().size(), m.target().stream().distinct().count());
            for (int i = 0; i < before.size(); i++) {
                if (i != position) {
                    assertEquals("only node 5's replica changes", before.get(i), m.target().get(i));
                }
            }
            added.merge(m.target().get(position), 1, Integer::sum);
            if (position == 0) {
                leadersAdded.merge(m.target().get(0), 1, Integer::sum);
            }
        }
        assertEquals(plan.remaining(), plan.moves().size());
        assertTrue("partitions on node 5: " + plan.moves().size(), plan.moves().size() >= 30);
        assertTrue("preferred leaders moved " + leadersAdded, leadersAdded.size() >= 2);
    }

    @Test
    public void theMovedReplicasEvenOutTheLoad() throws Exception {
        // node 5 holds 8 single-replica partitions; 1 holds 2 partitions, 2 holds 1, 3 and 4 none
        List<List<Integer>> assignment = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            assignment.add(List.of(5));
        }
        MetadataState s = assigned(brokers(null, null, null, null, null), "t", assignment);
        s = assigned(s, "u", List.of(List.of(1), List.of(1), List.of(2)));
        Map<Integer, Integer> held = new TreeMap<>(Map.of(1, 2, 2, 1, 3, 0, 4, 0));
        for (Decommissioner.Move m : Decommissioner.plan(s, 5, List.of()).moves()) {
            held.merge(m.target().get(0), 1, Integer::sum);
        }
        assertEquals(Map.of(1, 3, 2, 3, 3, 3, 4, 2), held);
    }

    @Test
    public void partitionsSharingAGroupGetTheSameNewList() throws Exception {
        // a division budget of 2: partitions 0, 1 and 3 share the group of [1, 5]
        MetadataState s = apply(brokers(null, null, null, null, null), new MetaCommand.CreateTopic("t", UUID.randomUUID(),
                -1, -1, Map.of(), 2, true, List.of(List.of(1, 5), List.of(5, 2), List.of(1, 5), List.of(1, 5))));
        assertEquals(s.topics.get("t").groups().get(0), s.topics.get("t").groups().get(3));
        Decommissioner.Plan plan = Decommissioner.plan(s, 5, List.of());
        List<Decommissioner.Move> moves = plan.moves();
        assertEquals(moves.get(0).target(), moves.get(2).target());
        assertEquals(moves.get(0).target(), moves.get(3).target());
        assertEquals(1, (int) moves.get(0).target().get(0));
        assertEquals(2, (int) moves.get(1).target().get(1));
    }

    @Test
    public void tooFewBrokersToKeepTheReplicationFactorIsRefused() throws Exception {
        MetadataState s = apply(brokers(null, null, null), new MetaCommand.CreateTopic("t", UUID.randomUUID(), 2, 3,
                Map.of(), 1000));
        Decommissioner.Plan plan = Decommissioner.plan(s, 3, List.of());
        assertTrue(plan.moves().isEmpty());
        assertTrue(plan.refusal(), plan.refusal().contains("cannot decommission node 3")
                && plan.refusal().contains("no other broker can take node 3's"));

        // a fourth broker that is fenced does not count either
        s = apply(apply(s, new MetaCommand.RegisterBroker(4, "h4", 9092, null, "r4", 5001, "c")),
                new MetaCommand.FenceBroker(4));
        assertTrue(Decommissioner.plan(s, 3, List.of()).refusal().contains("brokers that can take replicas: [1, 2]"));
    }

    @Test
    public void aPartitionWithAnotherReplicaOnAFencedBrokerIsRefused() throws Exception {
        MetadataState s = assigned(brokers(null, null, null, null), "t", List.of(List.of(4, 2)));
        s = apply(s, new MetaCommand.FenceBroker(2));
        String refusal = Decommissioner.plan(s, 4, List.of()).refusal();
        assertTrue(refusal, refusal.contains("also has a replica on broker 2"));
    }

    @Test
    public void aPartitionWithAnotherReplicaOnABrokerBeingDecommissionedIsRefused() throws Exception {
        MetadataState s = assigned(brokers(null, null, null, null), "t", List.of(List.of(4, 3)));
        s = apply(s, new DecommissionBroker(3, true));
        String refusal = Decommissioner.plan(s, 4, List.of()).refusal();
        assertTrue(refusal, refusal.contains("decommission one node at a time"));
    }

    @Test
    public void reassignmentsUnderWayAreCountedAndNotStartedAgain() throws Exception {
        MetadataState s = assigned(brokers(null, null, null, null), "t",
                List.of(List.of(4, 1), List.of(1, 2), List.of(4, 2)));
        List<Reassignment> moving = new ArrayList<>();
        moving.add(new Moving("t", 0, List.of(4, 1), List.of(3, 1))); // already leaves node 4
        moving.add(new Moving("t", 1, List.of(1, 2), List.of(1, 4))); // moves onto node 4: replaced in its target
        Decommissioner.Plan plan = Decommissioner.plan(s, 4, moving);
        assertEquals(3, plan.remaining());
        assertEquals(2, plan.moves().size());
        assertEquals("t", plan.moves().get(0).topic());
        assertEquals(1, plan.moves().get(0).partition());
        assertEquals(1, (int) plan.moves().get(0).target().get(0));
        assertFalse(plan.moves().get(0).target().contains(4));
        assertEquals(2, plan.moves().get(1).partition());

        MetadataState none = assigned(brokers(null, null, null, null), "t", List.of(List.of(1, 2)));
        assertEquals(0, Decommissioner.plan(none, 4, List.of()).remaining());
    }

    @Test
    public void theVoteGoesOnlyIfALiveMajorityOfTheOtherVotersIsLeft() throws Exception {
        MetadataState s = brokers(null, null, null, null, null);
        assertNull(Decommissioner.quorumRefusal(s, 3, List.of(1, 2, 3)));
        assertNull("not a voter", Decommissioner.quorumRefusal(s, 4, List.of(1, 2, 3)));
        assertTrue(Decommissioner.quorumRefusal(s, 1, List.of(1)).contains("only voter"));
        assertNull("two voters: one is left", Decommissioner.quorumRefusal(s, 2, List.of(1, 2)));
        MetadataState fenced = apply(s, new MetaCommand.FenceBroker(2));
        assertTrue(Decommissioner.quorumRefusal(fenced, 3, List.of(1, 2, 3)).contains("not a majority"));
        assertNull(Decommissioner.quorumRefusal(fenced, 5, List.of(1, 2, 3, 4, 5)));
    }
}
