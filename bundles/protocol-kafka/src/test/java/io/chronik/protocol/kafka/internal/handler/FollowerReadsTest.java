package io.chronik.protocol.kafka.internal.handler;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.lang.reflect.Proxy;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.Test;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.PartitionLog;
import io.chronik.protocol.kafka.internal.handler.FollowerReads.Refusal;

/** KIP-392's rack-aware replica selection and the follower's own check (with the reason it refuses), as pure functions. */
public class FollowerReadsTest {

    record Broker(int nodeId, String host, int port, String rack, boolean fenced) implements BrokerInfo {
    }

    record Partition(String topic, int partition, int leader, int leaderEpoch, List<Integer> replicas,
            List<Integer> inSyncReplicas) implements PartitionInfo {
    }

    private static final List<Broker> BROKERS = List.of(new Broker(1, "h", 1, "r1", false), new Broker(2, "h", 2, "r2", false),
            new Broker(3, "h", 3, "r3", false), new Broker(4, "h", 4, "r2", false));

    @Test
    public void aConsumerInAFollowersRackIsSentToThatFollower() {
        Partition p = new Partition("t", 0, 1, 5, List.of(1, 2, 3), List.of(1, 2, 3));
        assertEquals(2, FollowerReads.preferredReadReplica(p, BROKERS, "r2"));
        assertEquals(3, FollowerReads.preferredReadReplica(p, BROKERS, "r3"));
    }

    @Test
    public void theLeadersRackNoRackAnUnknownRackOrNoInSyncFollowerThereKeepTheLeader() {
        Partition p = new Partition("t", 0, 1, 5, List.of(1, 2, 3), List.of(1, 3));
        assertEquals(-1, FollowerReads.preferredReadReplica(p, BROKERS, "r1"));
        assertEquals(-1, FollowerReads.preferredReadReplica(p, BROKERS, ""));
        assertEquals(-1, FollowerReads.preferredReadReplica(p, BROKERS, null));
        assertEquals(-1, FollowerReads.preferredReadReplica(p, BROKERS, "r9"));
        assertEquals("node 2 is out of sync", -1, FollowerReads.preferredReadReplica(p, BROKERS, "r2"));
        List<Broker> fenced = List.of(BROKERS.get(0), new Broker(2, "h", 2, "r2", true), BROKERS.get(2));
        assertEquals(-1, FollowerReads.preferredReadReplica(new Partition("t", 0, 1, 5, List.of(1, 2, 3),
                List.of(1, 2, 3)), fenced, "r2"));
    }

    @Test
    public void partitionsSpreadOverTheFollowersOfOneRack() {
        assertEquals(2, FollowerReads.preferredReadReplica(new Partition("t", 0, 1, 5, List.of(1, 2, 4), List.of(1, 2, 4)),
                BROKERS, "r2"));
        assertEquals(4, FollowerReads.preferredReadReplica(new Partition("t", 1, 1, 5, List.of(1, 2, 4), List.of(1, 2, 4)),
                BROKERS, "r2"));
    }

    @Test
    public void aFollowerServesOnlyWhileInSyncWithALeaderAndItsBarrierPassed() {
        Partition p = new Partition("t", 0, 1, 5, List.of(1, 2, 3), List.of(1, 2));
        assertNull(FollowerReads.check(p, null, 2, false, new HashSet<>()));
        assertEquals(Refusal.NOT_IN_SYNC, FollowerReads.check(p, null, 3, false, new HashSet<>()));
        assertEquals(Refusal.NOT_IN_SYNC, FollowerReads.check(new Partition("t", 0, -1, 5, List.of(1, 2, 3),
                List.of(2)), null, 2, false, new HashSet<>()));
        PartitionLog log = (PartitionLog) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {PartitionLog.class}, (proxy, m, args) -> m.getName().equals("hashCode") ? 1
                        : m.getName().equals("equals") ? proxy == args[0] : null);
        assertEquals(Refusal.READ_INDEX_FAILED, FollowerReads.check(p, log, 2, false, Set.of(log)));
    }

    @Test
    public void aFollowerWhoseOwnBrokerIsFencedServesNoConsumer() {
        List<Broker> brokers = List.of(BROKERS.get(0), new Broker(2, "h", 2, "r2", true), BROKERS.get(2));
        assertTrue(FollowerReads.isFenced(brokers, 2));
        assertFalse(FollowerReads.isFenced(brokers, 1));
        assertFalse("a node not registered (yet) is not fenced", FollowerReads.isFenced(brokers, 9));
        Partition p = new Partition("t", 0, 1, 5, List.of(1, 2, 3), List.of(1, 2, 3));
        assertEquals(Refusal.FENCED, FollowerReads.check(p, null, 2, FollowerReads.isFenced(brokers, 2), new HashSet<>()));
        assertNull(FollowerReads.check(p, null, 3, FollowerReads.isFenced(brokers, 3), new HashSet<>()));
        assertEquals(List.of("disabled", "not_in_sync", "read_index_failed", "fenced"),
                Arrays.stream(Refusal.values()).map(Refusal::label).toList());
    }
}
