package io.chronik.protocol.kafka.internal.handler;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

import org.apache.kafka.common.Uuid;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.api.metrics.MetricSource;
import io.chronik.protocol.kafka.internal.ServerSettings;
import io.chronik.protocol.kafka.internal.group.GroupCoordinator;
import io.chronik.protocol.kafka.internal.metrics.RequestMetrics;
import io.chronik.protocol.kafka.internal.metrics.TopicMetrics;
import io.chronik.protocol.kafka.internal.topics.TopicIndex;

/**
 * What the handlers share: the settings and the currently bound consensus services (either may be
 * {@code null} for a moment while a provider is being replaced), the index of topic ids, the group coordinator and
 * the node's metrics.
 */
public final class Broker implements AutoCloseable {
    private final ServerSettings settings;
    private final Supplier<ClusterMetadata> metadata;
    private final Supplier<PartitionLogs> logs;
    private final GroupCoordinator groups;

    /** Topics whose auto-creation is under way, so that a burst of Metadata requests creates each once. */
    private final Set<String> autoCreating = ConcurrentHashMap.newKeySet();

    private final TopicIndex topicIndex = new TopicIndex();

    private final ReplicationThrottles throttles = new ReplicationThrottles();

    private final BrokerMetrics metrics;

    public Broker(ServerSettings settings, Supplier<ClusterMetadata> metadata, Supplier<PartitionLogs> logs) {
        this.settings = settings;
        this.metadata = metadata;
        this.logs = logs;
        this.groups = new GroupCoordinator(settings.groups(), metadata, logs, topicIndex);
        this.metrics = new BrokerMetrics(settings.nodeId(), settings.metricsTopicLabelsMax(), metadata);
    }

    /** This node's metrics of the Kafka protocol ({@link BrokerMetrics}). */
    public MetricSource metrics() {
        return metrics;
    }

    /** The request counters, which the connections record into. */
    public RequestMetrics requestMetrics() {
        return metrics.requests;
    }

    FetchMetrics fetchMetrics() {
        return metrics.fetch;
    }

    TopicMetrics topicMetrics() {
        return metrics.topics;
    }

    /** The consumer-group coordinator. */
    public GroupCoordinator groups() {
        return groups;
    }

    /** Topics that clients may read but not write, create, delete or grow: the coordinator's own. */
    public static boolean isInternal(String topic) {
        return GroupCoordinator.OFFSETS_TOPIC.equals(topic);
    }

    public ServerSettings settings() {
        return settings;
    }

    /** The bound metadata service, or {@code null}. */
    public ClusterMetadata metadata() {
        return metadata.get();
    }

    /** The bound partition logs, or {@code null}. */
    public PartitionLogs logs() {
        return logs.get();
    }

    /** The replication throttles set on this node (accepted for Kafka's tools; they have no effect). */
    ReplicationThrottles throttles() {
        return throttles;
    }

    /** Claims the auto-creation of {@code topic}; {@code false} if it is already under way. */
    boolean startAutoCreate(String topic) {
        return autoCreating.add(topic);
    }

    void autoCreateDone(String topic) {
        autoCreating.remove(topic);
    }

    /** The topic with Kafka topic id {@code id}, or {@code null}. */
    public TopicInfo topicById(ClusterMetadata md, Uuid id) {
        if (id == null || Uuid.ZERO_UUID.equals(id)) {
            return null;
        }
        return topicIndex.topic(md, new UUID(id.getMostSignificantBits(), id.getLeastSignificantBits()));
    }

    public static Uuid kafkaId(TopicInfo topic) {
        UUID id = topic.id();
        return id == null ? Uuid.ZERO_UUID : new Uuid(id.getMostSignificantBits(), id.getLeastSignificantBits());
    }

    /** Closes the group coordinator and stops listening to the metadata service. */
    @Override
    public void close() {
        groups.close();
        topicIndex.close();
    }
}
