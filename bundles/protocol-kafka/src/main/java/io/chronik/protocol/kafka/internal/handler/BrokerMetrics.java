package io.chronik.protocol.kafka.internal.handler;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.Supplier;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.api.metrics.MetricSink;
import io.chronik.api.metrics.MetricSource;
import io.chronik.protocol.kafka.internal.metrics.PartitionStateMetrics;
import io.chronik.protocol.kafka.internal.metrics.RequestMetrics;
import io.chronik.protocol.kafka.internal.metrics.TopicMetrics;

/**
 * Every metric of the Kafka protocol on this node, the one {@link MetricSource} the bundle registers: requests
 * ({@link RequestMetrics}), traffic per topic ({@link TopicMetrics}), follower reads ({@link FetchMetrics}) and the
 * partition gauges computed from the cluster metadata at scrape time ({@link PartitionStateMetrics}; left out while
 * no metadata service is bound). A scrape reads the metadata's topics once, for the gauges and to drop the traffic
 * counters of deleted topics. Thread-safe.
 */
final class BrokerMetrics implements MetricSource {
    private final String nodeId;
    private final Supplier<ClusterMetadata> metadata;
    final RequestMetrics requests;
    final TopicMetrics topics;
    final FetchMetrics fetch;

    BrokerMetrics(int nodeId, int maxTopicLabels, Supplier<ClusterMetadata> metadata) {
        this.nodeId = Integer.toString(nodeId);
        this.metadata = metadata;
        this.requests = new RequestMetrics(nodeId);
        this.topics = new TopicMetrics(nodeId, maxTopicLabels);
        this.fetch = new FetchMetrics(nodeId);
    }

    @Override
    public void collect(MetricSink sink) {
        requests.collect(sink);
        fetch.collect(sink);
        ClusterMetadata md = metadata.get();
        if (md != null) {
            Collection<TopicInfo> all = md.topics();
            PartitionStateMetrics.write(sink, nodeId, PartitionStateMetrics.count(md, all));
            Set<String> names = new HashSet<>(all.size() * 2);
            for (TopicInfo t : all) {
                names.add(t.name());
            }
            topics.retainOnly(names);
        }
        topics.collect(sink);
    }
}
