package io.chronik.api.consensus;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The cluster's replicated metadata: brokers, topics, partitions, topic configs and replica placement. It is
 * kept by the consensus provider's metadata group; every node holds a copy that follows the group's
 * committed log.
 *
 * <p><b>Reads</b> ({@link #brokers}, {@link #topics}, {@link #topic}) are non-blocking and return an
 * immutable snapshot of the local copy, which may lag the leader by the replication delay.
 *
 * <p><b>Writes</b> are asynchronous: the returned stage completes when the change is committed by the
 * metadata group <i>and</i> applied on this node (so a following read here sees it), or completes
 * exceptionally with {@link ConsensusException} (for example {@link ConsensusException.Reason#TOPIC_EXISTS},
 * {@link ConsensusException.Reason#UNKNOWN_TOPIC}, {@link ConsensusException.Reason#INVALID_REQUEST},
 * {@link ConsensusException.Reason#NOT_AVAILABLE} or {@link ConsensusException.Reason#TIMEOUT}). A write may be
 * called on any node; the provider forwards it to the metadata leader.
 *
 * <p><b>Thread-safety.</b> All methods are safe for concurrent use. Listeners are called on a provider thread,
 * in commit order, and must not block.
 */
@ProviderType
public interface ClusterMetadata {

    /** This node's id ({@code --node-id}). */
    int localNodeId();

    /** The cluster id reported to Kafka clients (Metadata, DescribeCluster); stable for the life of the cluster. */
    String clusterId();

    /** The node id of the current metadata-group leader (Kafka's "controller"), or -1 while there is none. */
    int controllerId();

    /**
     * The brokers registered in the cluster, with their advertised Kafka addresses, fenced ones included (see
     * {@link BrokerInfo#fenced()}; Kafka's Metadata lists only the unfenced ones).
     */
    Collection<BrokerInfo> brokers();

    /**
     * How many nodes the cluster is configured with (the members of the metadata group), whether or not they have
     * registered yet. A replication factor chosen by the broker itself (an internal topic's) is capped by it, and such
     * a topic is best created only once that many brokers have registered, so that it does not end up with fewer
     * replicas than the cluster could give it.
     *
     * @since 1.1
     */
    int configuredNodes();

    /** All topics. */
    Collection<TopicInfo> topics();

    /** The topic named {@code name}, if it exists. */
    Optional<TopicInfo> topic(String name);

    /**
     * Creates a topic and places its partitions' replicas. Completes with the created topic.
     *
     * @param configs topic-level config overrides (Kafka names such as {@code retention.ms}); unknown names or
     *                invalid values fail with {@link ConsensusException.Reason#INVALID_CONFIG}
     */
    CompletionStage<TopicInfo> createTopic(String name, int partitions, int replicationFactor, Map<String, String> configs);

    /**
     * Checks a topic creation without performing it (CreateTopics with validateOnly): the name (Kafka's legal
     * characters, at most 249 of them), partition count, replication factor against the live brokers, and every
     * config name and value.
     *
     * @throws ConsensusException with {@link ConsensusException.Reason#TOPIC_EXISTS},
     *                            {@link ConsensusException.Reason#INVALID_TOPIC},
     *                            {@link ConsensusException.Reason#INVALID_PARTITIONS},
     *                            {@link ConsensusException.Reason#INVALID_REPLICATION_FACTOR} or
     *                            {@link ConsensusException.Reason#INVALID_CONFIG}
     */
    void validateTopic(String name, int partitions, int replicationFactor, Map<String, String> configs) throws ConsensusException;

    /**
     * The broker-wide default of every supported topic config (Kafka names, e.g. {@code retention.ms} =
     * {@code 604800000}); a topic's effective config is these overlaid with {@link TopicInfo#configs()}.
     */
    Map<String, String> topicConfigDefaults();

    /**
     * Allocates a producer id unique in the cluster for the life of the cluster (InitProducerId for idempotent
     * producers). Non-blocking; completes once the allocation is durable.
     */
    CompletionStage<Long> allocateProducerId();

    /** Deletes a topic and, asynchronously on every replica, its data. */
    CompletionStage<Void> deleteTopic(String name);

    /** Raises the partition count of {@code topic} to {@code totalPartitions} (never lowers it). */
    CompletionStage<TopicInfo> createPartitions(String topic, int totalPartitions);

    /** Sets the configs in {@code set} and removes those in {@code delete} (which fall back to broker defaults). */
    CompletionStage<TopicInfo> alterTopicConfigs(String topic, Map<String, String> set, Set<String> delete);

    /** Registers a listener called after each applied metadata change. */
    void addListener(MetadataListener listener);

    /** Removes a listener added with {@link #addListener}. */
    void removeListener(MetadataListener listener);
}
