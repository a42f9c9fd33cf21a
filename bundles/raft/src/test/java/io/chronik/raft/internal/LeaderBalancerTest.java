package io.chronik.raft.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.junit.Test;

/** Kafka's per-broker imbalance ratio, counted in partitions, acted on per data group. */
public class LeaderBalancerTest {

    private static MetadataState state() {
        Map<Integer, MetadataState.Broker> brokers = Map.of(
                1, new MetadataState.Broker(1, "h", 9092, null, "h", 5001),
                2, new MetadataState.Broker(2, "h", 9093, null, "h", 5002),
                3, new MetadataState.Broker(3, "h", 9094, null, "h", 5003));
        Map<Integer, MetadataState.Group> groups = Map.of(
                0, new MetadataState.Group(0, List.of(1, 2, 3)),
                1, new MetadataState.Group(1, List.of(2, 3, 1)),
                2, new MetadataState.Group(2, List.of(3, 1, 2)),
                3, new MetadataState.Group(3, List.of(1, 3, 2)),
                4, new MetadataState.Group(4, List.of(4, 1, 2)));
        // node 1 prefers groups 0 (9 partitions) and 3 (1 partition); node 4 is not registered
        List<Integer> placement = List.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 4);
        MetadataState.Topic t = new MetadataState.Topic("t", UUID.randomUUID(), Map.of(), placement);
        return new MetadataState("c", brokers, Map.of("t", t), groups, 5, 0, Set.of(), Map.of());
    }

    @Test
    public void brokersAboveThePercentageGetTheirGroupsBack() {
        MetadataState s = state();
        // everything led by its preferred replica: nothing to do
        Map<Integer, Integer> leaders = Map.of(0, 1, 1, 2, 2, 3, 3, 1, 4, 1);
        assertEquals(Map.of(), LeaderBalancer.imbalancedGroups(s, leaders::get, 10));
        // node 1 lost group 3 (1 of its 10 partitions: 10 %, not above 10 %); node 3 lost group 2 (100 %)
        leaders = Map.of(0, 1, 1, 2, 2, 1, 3, 3, 4, 1);
        assertEquals(Map.of(3, List.of(2)), LeaderBalancer.imbalancedGroups(s, leaders::get, 10));
        // with a 5 % threshold node 1 is imbalanced too; an unknown leader counts as not led
        leaders = Map.of(0, 1, 1, -1, 2, 3, 3, 3, 4, 1);
        assertEquals(Map.of(1, List.of(3), 2, List.of(1)), LeaderBalancer.imbalancedGroups(s, leaders::get, 5));
    }
}
