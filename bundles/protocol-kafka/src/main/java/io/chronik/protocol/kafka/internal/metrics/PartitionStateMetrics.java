package io.chronik.protocol.kafka.internal.metrics;

import java.util.Collection;
import java.util.Map;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.api.metrics.MetricSink;

/**
 * The state of the partitions as this node's copy of the cluster metadata describes it, the gauges Kafka operators
 * alert on, each labelled {@code node_id}:
 * <ul>
 * <li>{@code chronik_partitions}: replicas hosted on this node (Kafka's {@code PartitionCount});</li>
 * <li>{@code chronik_partition_leaders}: partitions led by this node ({@code LeaderCount});</li>
 * <li>{@code chronik_under_replicated_partitions}: partitions led here whose in-sync replicas are fewer than their
 * replicas ({@code UnderReplicatedPartitions});</li>
 * <li>{@code chronik_under_min_isr_partitions}: partitions led here with fewer in-sync replicas than a write needs
 * ({@code UnderMinIsrPartitionCount}): a Raft majority of the replicas (2 of 3), or the topic's
 * {@code min.insync.replicas} where the metadata has one and it is higher (Chronik's metadata does not take that
 * config today: a write commits on a majority, which plays its role);</li>
 * <li>{@code chronik_offline_partitions}: partitions without a leader, on the controller (the metadata leader) only,
 * 0 elsewhere ({@code OfflinePartitionsCount});</li>
 * <li>{@code chronik_controller}: 1 on the metadata leader, else 0 ({@code ActiveControllerCount});</li>
 * <li>{@code chronik_fenced_brokers}: fenced brokers, on the controller only, 0 elsewhere
 * ({@code FencedBrokerCount}).</li>
 * </ul>
 * Computed at scrape time in one pass over the metadata's topics ({@link #count}): linear in the partitions, no
 * state kept between scrapes. Stateless; any thread.
 */
public final class PartitionStateMetrics {
    static final String MIN_ISR = "min.insync.replicas";

    private PartitionStateMetrics() {
    }

    /** What one pass over the metadata counted. */
    public record Counts(int partitions, int leaders, int underReplicated, int underMinIsr, int offline,
            boolean controller, int fencedBrokers) {
    }

    /** Counts the partition gauges of {@code md} for its local node over {@code topics} (a snapshot of its topics). */
    public static Counts count(ClusterMetadata md, Collection<TopicInfo> topics) {
        return count(md.localNodeId(), md.controllerId(), md.brokers(), md.topicConfigDefaults(), topics);
    }

    /**
     * Counts the partition gauges of node {@code self}.
     *
     * @param controllerId   the metadata leader's node id (-1: none)
     * @param brokers        the registered brokers (only read on the controller)
     * @param configDefaults the broker-wide topic config defaults, for {@code min.insync.replicas} (if there)
     * @param topics         every topic
     */
    public static Counts count(int self, int controllerId, Collection<? extends BrokerInfo> brokers,
            Map<String, String> configDefaults, Collection<? extends TopicInfo> topics) {
        boolean controller = controllerId == self;
        int fenced = 0;
        if (controller) {
            for (BrokerInfo b : brokers) {
                if (b.fenced()) {
                    fenced++;
                }
            }
        }
        int defaultMinIsr = minIsr(configDefaults == null ? null : configDefaults.get(MIN_ISR), 0);
        int partitions = 0;
        int leaders = 0;
        int underReplicated = 0;
        int underMinIsr = 0;
        int offline = 0;
        for (TopicInfo t : topics) {
            int minIsr = -1; // parsed on the first partition led here
            for (PartitionInfo p : t.partitions()) {
                if (controller && p.leader() < 0) {
                    offline++;
                }
                if (p.replicas().contains(self)) {
                    partitions++;
                }
                if (p.leader() != self) {
                    continue;
                }
                leaders++;
                int isr = p.inSyncReplicas().size();
                if (isr < p.replicas().size()) {
                    underReplicated++;
                }
                if (minIsr < 0) {
                    Map<String, String> configs = t.configs();
                    minIsr = minIsr(configs == null ? null : configs.get(MIN_ISR), defaultMinIsr);
                }
                if (isr < Math.max(minIsr, p.replicas().size() / 2 + 1)) {
                    underMinIsr++;
                }
            }
        }
        return new Counts(partitions, leaders, underReplicated, underMinIsr, offline, controller, fenced);
    }

    private static int minIsr(String value, int fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Writes {@code c} as this node's ({@code nodeId}) gauges. */
    public static void write(MetricSink sink, String nodeId, Counts c) {
        gauge(sink, "chronik_partitions", "Partition replicas hosted on this node (Kafka's PartitionCount)", nodeId,
                c.partitions());
        gauge(sink, "chronik_partition_leaders", "Partitions led by this node (Kafka's LeaderCount)", nodeId,
                c.leaders());
        gauge(sink, "chronik_under_replicated_partitions",
                "Partitions led by this node with fewer in-sync replicas than replicas (Kafka's UnderReplicatedPartitions)",
                nodeId, c.underReplicated());
        gauge(sink, "chronik_under_min_isr_partitions",
                "Partitions led by this node with fewer in-sync replicas than a write needs (a Raft majority; "
                        + "Kafka's UnderMinIsrPartitionCount)", nodeId, c.underMinIsr());
        gauge(sink, "chronik_offline_partitions",
                "Partitions without a leader, reported by the controller only (Kafka's OfflinePartitionsCount)", nodeId,
                c.offline());
        gauge(sink, "chronik_controller", "1 on the metadata leader, else 0 (Kafka's ActiveControllerCount)", nodeId,
                c.controller() ? 1 : 0);
        gauge(sink, "chronik_fenced_brokers", "Fenced brokers, reported by the controller only (Kafka's FencedBrokerCount)",
                nodeId, c.fencedBrokers());
    }

    private static void gauge(MetricSink sink, String name, String help, String nodeId, int value) {
        sink.family(name, help, MetricSink.Type.GAUGE, "node_id").sample(value, nodeId);
    }
}
