package io.chronik.protocol.kafka.internal.metrics;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.Test;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.testing.RecordingMetricSink;

public class PartitionStateMetricsTest {

    record Broker(int nodeId, boolean fenced) implements BrokerInfo {
        @Override
        public String host() {
            return "localhost";
        }

        @Override
        public int port() {
            return 9092;
        }

        @Override
        public String rack() {
            return null;
        }
    }

    record Partition(String topic, int partition, int leader, int leaderEpoch, List<Integer> replicas,
            List<Integer> inSyncReplicas) implements PartitionInfo {
    }

    record Topic(String name, UUID id, List<PartitionInfo> partitions, Map<String, String> configs) implements TopicInfo {
    }

    private static Partition p(String topic, int partition, int leader, List<Integer> replicas, List<Integer> isr) {
        return new Partition(topic, partition, leader, 1, replicas, isr);
    }

    /**
     * Node 1 leads a0 (in sync), a1 (ISR 1,2 of 3: a majority) and b0 (ISR 1 of 3: below a majority); it hosts a2, led
     * by 2; c0 has no leader; d0 (ISR 1,2 of 3, min.insync.replicas 3) is led by node 2.
     */
    private static final List<TopicInfo> TOPICS = List.of(
            new Topic("a", UUID.randomUUID(), List.of(
                    p("a", 0, 1, List.of(1, 2, 3), List.of(1, 2, 3)),
                    p("a", 1, 1, List.of(1, 2, 3), List.of(1, 2)),
                    p("a", 2, 2, List.of(2, 1, 3), List.of(2, 1, 3))), Map.of()),
            new Topic("b", UUID.randomUUID(), List.of(
                    p("b", 0, 1, List.of(1, 2, 3), List.of(1))), Map.of()),
            new Topic("c", UUID.randomUUID(), List.of(
                    p("c", 0, -1, List.of(2, 3), List.of())), Map.of()),
            new Topic("d", UUID.randomUUID(), List.of(
                    p("d", 0, 2, List.of(2, 1, 3), List.of(2, 1))), Map.of("min.insync.replicas", "3")));

    private static final List<BrokerInfo> BROKERS = List.of(new Broker(1, false), new Broker(2, false), new Broker(3, true));

    @Test
    public void countsWhatThisNodeHostsAndLeads() {
        PartitionStateMetrics.Counts c = PartitionStateMetrics.count(1, 2, BROKERS, Map.of(), TOPICS);
        assertEquals(new PartitionStateMetrics.Counts(5, 3, 2, 1, 0, false, 0), c);
    }

    @Test
    public void theControllerAlsoCountsOfflinePartitionsAndFencedBrokers() {
        PartitionStateMetrics.Counts c = PartitionStateMetrics.count(2, 2, BROKERS, Map.of(), TOPICS);
        assertEquals("node 2 hosts every partition, leads a2 and d0 (under-replicated, under min.insync.replicas 3)",
                new PartitionStateMetrics.Counts(6, 2, 1, 1, 1, true, 1), c);
    }

    @Test
    public void aHigherMinIsrInTheMetadataRaisesTheBar() {
        PartitionStateMetrics.Counts c = PartitionStateMetrics.count(1, 2, BROKERS, Map.of("min.insync.replicas", "3"), TOPICS);
        assertEquals("a1 (2 of 3) and b0 (1 of 3) below the broker default 3", 2, c.underMinIsr());
        c = PartitionStateMetrics.count(1, 2, BROKERS, Map.of("min.insync.replicas", "1"), TOPICS);
        assertEquals("a lower one does not lower the majority: b0", 1, c.underMinIsr());
    }

    @Test
    public void writesOneGaugePerFamilyLabelledWithTheNode() {
        RecordingMetricSink sink = new RecordingMetricSink();
        PartitionStateMetrics.write(sink, "2", new PartitionStateMetrics.Counts(4, 1, 0, 0, 1, true, 1));
        assertEquals(Map.of("chronik_partitions{node_id=\"2\"}", 4.0, "chronik_partition_leaders{node_id=\"2\"}", 1.0,
                "chronik_under_replicated_partitions{node_id=\"2\"}", 0.0, "chronik_under_min_isr_partitions{node_id=\"2\"}", 0.0,
                "chronik_offline_partitions{node_id=\"2\"}", 1.0, "chronik_controller{node_id=\"2\"}", 1.0,
                "chronik_fenced_brokers{node_id=\"2\"}", 1.0), sink.samples());
    }
}
