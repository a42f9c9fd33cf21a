package io.chronik.api.consensus;

import java.util.Collection;
import java.util.List;
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
     * Creates a topic whose partitions get exactly the given replicas (CreateTopics with an explicit assignment).
     * Completes with the created topic.
     *
     * @param assignment one replica list per partition, partition 0 first; each list names distinct registered
     *                   brokers, its first broker is the partition's preferred leader, and all lists have the same
     *                   length (the replication factor). Not modified, not kept.
     * @param configs    topic-level config overrides, as for {@link #createTopic(String, int, int, Map)}
     * @return fails with {@link ConsensusException.Reason#INVALID_REPLICA_ASSIGNMENT} for an assignment that breaks
     *         these rules, else as {@link #createTopic(String, int, int, Map)}
     * @since 1.3
     */
    CompletionStage<TopicInfo> createTopic(String name, List<List<Integer>> assignment, Map<String, String> configs);

    /**
     * Checks a topic creation with an explicit assignment without performing it (CreateTopics with validateOnly).
     *
     * @throws ConsensusException as {@link #validateTopic(String, int, int, Map)}, or with
     *                            {@link ConsensusException.Reason#INVALID_REPLICA_ASSIGNMENT}
     * @since 1.3
     */
    void validateTopic(String name, List<List<Integer>> assignment, Map<String, String> configs) throws ConsensusException;

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

    /**
     * Raises the partition count of {@code topic} to {@code totalPartitions}, giving the new partitions exactly the
     * given replicas (CreatePartitions with explicit assignments).
     *
     * @param assignment one replica list per new partition, in partition order: {@code totalPartitions} minus the
     *                   current count of them, each of distinct registered brokers and as long as the topic's
     *                   replication factor. Not modified, not kept.
     * @return fails with {@link ConsensusException.Reason#INVALID_REPLICA_ASSIGNMENT} for an assignment that breaks
     *         these rules, else as {@link #createPartitions(String, int)}
     * @since 1.3
     */
    CompletionStage<TopicInfo> createPartitions(String topic, int totalPartitions, List<List<Integer>> assignment);

    /** Sets the configs in {@code set} and removes those in {@code delete} (which fall back to broker defaults). */
    CompletionStage<TopicInfo> alterTopicConfigs(String topic, Map<String, String> set, Set<String> delete);

    /**
     * Moves the leadership of partitions to their preferred replica (the first of {@link PartitionInfo#replicas()}),
     * Kafka's preferred leader election. Partitions may share a consensus group, and leadership belongs to the group:
     * electing one partition's preferred leader moves every partition of its group, and the partitions of one group
     * always get the same result. Only a replica that is caught up can take over; an out-of-date one is never
     * elected.
     *
     * <p>Non-blocking; may be called on any node. The stage completes once every transfer has succeeded or failed
     * (at most about the provider's request timeout), never exceptionally for a single partition's failure: that
     * is its {@link ElectionResult}. It fails with {@link ConsensusException} only if the cluster cannot be asked at
     * all ({@link ConsensusException.Reason#NOT_AVAILABLE}).
     *
     * @param partitions topic name to partition numbers, or {@code null} for every partition of every topic
     * @return for each requested topic, the result of each requested partition (unknown ones:
     *         {@link ElectionResult#UNKNOWN_PARTITION})
     * @since 1.3
     */
    CompletionStage<Map<String, Map<Integer, ElectionResult>>> electPreferredLeaders(Map<String, Set<Integer>> partitions);

    /**
     * Starts moving a partition's replicas to {@code targetReplicas} (first = preferred leader), or, with
     * {@code targetReplicas} null, cancels the partition's reassignment in progress (Kafka's
     * AlterPartitionReassignments). A reassignment that is already in progress for the partition is replaced. A
     * target equal to the current replica list ends any reassignment in progress and changes nothing.
     *
     * <p>The move itself runs in the background: the target replicas copy the partition's data and catch up with
     * its tail while producers and consumers keep using the current replicas, then the partition switches to the
     * target replicas behind a short write fence (producers see a retriable NOT_LEADER error during it). Every
     * acknowledged record, every offset and the idempotent producers' state move with it. Until the switch,
     * {@link #reassignments()} lists the partition; afterwards {@link PartitionInfo#replicas()} is the target.
     *
     * <p>Non-blocking; may be called on any node. The stage completes once the reassignment is recorded (or
     * cancelled) in the cluster metadata, not when the move is done.
     *
     * @return a stage that fails with {@link ConsensusException}: {@link ConsensusException.Reason#UNKNOWN_TOPIC}
     *         or {@link ConsensusException.Reason#UNKNOWN_PARTITION};
     *         {@link ConsensusException.Reason#INVALID_REPLICA_ASSIGNMENT} for an empty list, a broker named twice,
     *         or a broker that is not registered or is fenced;
     *         {@link ConsensusException.Reason#NO_REASSIGNMENT_IN_PROGRESS} when cancelling and there is none;
     *         {@link ConsensusException.Reason#NOT_AVAILABLE} or {@link ConsensusException.Reason#TIMEOUT} when the
     *         metadata cannot be changed now
     * @since 1.4
     */
    CompletionStage<Void> reassignPartition(String topic, int partition, List<Integer> targetReplicas);

    /**
     * The partition reassignments in progress (Kafka's ListPartitionReassignments), as applied on this node.
     * Immutable snapshot; any thread, never blocks.
     *
     * @since 1.4
     */
    Collection<Reassignment> reassignments();

    /** Registers a listener called after each applied metadata change. */
    void addListener(MetadataListener listener);

    /** Removes a listener added with {@link #addListener}. */
    void removeListener(MetadataListener listener);
}
