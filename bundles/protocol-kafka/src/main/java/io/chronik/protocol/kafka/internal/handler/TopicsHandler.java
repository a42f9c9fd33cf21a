package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsAssignment;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopicConfig;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicConfigs;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/** CreateTopics, DeleteTopics and CreatePartitions: topic administration through the metadata group. */
final class TopicsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(TopicsHandler.class);

    private final Broker broker;

    TopicsHandler(Broker broker) {
        this.broker = broker;
    }

    CompletableFuture<Outcome> createTopics(KafkaRequest req) {
        CreateTopicsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        CreateTopicsResponseData resp = new CreateTopicsResponseData().setThrottleTimeMs(0);
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (CreatableTopic t : data.topics()) {
            if (!seen.add(t.name())) {
                duplicates.add(t.name());
            }
        }
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (CreatableTopic t : data.topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(t.name()).setTopicId(Uuid.ZERO_UUID)
                    .setNumPartitions(-1).setReplicationFactor((short) -1);
            if (duplicates.contains(t.name())) {
                if (resp.topics().find(t.name()) == null) {
                    resp.topics().add(error(result, Errors.INVALID_REQUEST,
                            "Create topics request from client contains duplicate topic name " + t.name()));
                }
                continue;
            }
            resp.topics().add(result);
            if (md == null) {
                error(result, Errors.NOT_CONTROLLER, "the cluster metadata is not available right now");
                continue;
            }
            int partitions = t.numPartitions() == -1 ? broker.settings().numPartitions() : t.numPartitions();
            int rf = t.replicationFactor() == -1 ? broker.settings().defaultReplicationFactor() : t.replicationFactor();
            List<List<Integer>> assignment = null;
            if (!t.assignments().isEmpty()) {
                // Kafka's controller: an assignment comes alone, then partitions numbered 0, 1, ... each once
                if (t.replicationFactor() != -1 || t.numPartitions() != -1) {
                    error(result, Errors.INVALID_REQUEST, "A manual partition assignment was specified, but "
                            + (t.replicationFactor() != -1 ? "replication factor" : "numPartitions") + " was not set to -1.");
                    continue;
                }
                Map<Integer, List<Integer>> byIndex = new HashMap<>();
                String refused = null;
                for (CreatableReplicaAssignment a : t.assignments()) {
                    if (byIndex.put(a.partitionIndex(), a.brokerIds()) != null) {
                        refused = "Found multiple manual partition assignments for partition " + a.partitionIndex();
                        break;
                    }
                }
                assignment = new ArrayList<>();
                for (int p = 0; refused == null && p < byIndex.size(); p++) {
                    if (!byIndex.containsKey(p)) {
                        refused = "partitions should be a consecutive 0-based integer sequence";
                    }
                    assignment.add(byIndex.get(p));
                }
                if (refused != null) {
                    error(result, Errors.INVALID_REPLICA_ASSIGNMENT, refused);
                    continue;
                }
                partitions = assignment.size();
                rf = assignment.get(0).size();
            }
            if (partitions <= 0) {
                error(result, Errors.INVALID_PARTITIONS, "Number of partitions must be larger than 0.");
                continue;
            }
            if (rf <= 0) {
                error(result, Errors.INVALID_REPLICATION_FACTOR, "Replication factor must be larger than 0.");
                continue;
            }
            Map<String, String> configs = new HashMap<>();
            String nullConfig = null;
            for (CreatableTopicConfig c : t.configs()) {
                if (c.value() == null) {
                    nullConfig = c.name();
                }
                configs.put(c.name(), c.value());
            }
            if (nullConfig != null) {
                error(result, Errors.INVALID_CONFIG, "Null value not supported for topic configs: " + nullConfig);
                continue;
            }
            if (data.validateOnly()) {
                try {
                    if (assignment != null) {
                        md.validateTopic(t.name(), assignment, configs);
                    } else {
                        md.validateTopic(t.name(), partitions, rf, configs);
                    }
                    describeCreated(md, result, partitions, rf, configs, req.version());
                } catch (ConsensusException e) {
                    error(result, KafkaErrors.of(e, KafkaErrors.Context.ADMIN), e.getMessage());
                } catch (RuntimeException e) {
                    LOG.warn("validating topic '{}' failed", t.name(), e);
                    error(result, Errors.UNKNOWN_SERVER_ERROR, e.getMessage());
                }
                continue;
            }
            CompletionStage<TopicInfo> created = assignment != null ? md.createTopic(t.name(), assignment, configs)
                    : md.createTopic(t.name(), partitions, rf, configs);
            int rfRequested = rf;
            pending.add(Futures.handle(created, (topic, failure) -> {
                synchronized (result) {
                    if (failure == null) {
                        result.setTopicId(Broker.kafkaId(topic));
                        int rfActual = topic.partitions().isEmpty() ? rfRequested : topic.partitions().get(0).replicas().size();
                        describeCreated(md, result, topic.partitions().size(), rfActual, topic.configs(), req.version());
                        LOG.info("created topic '{}' with {} partition(s)", t.name(), topic.partitions().size());
                    } else {
                        error(result, KafkaErrors.of(failure, KafkaErrors.Context.ADMIN), KafkaErrors.message(failure));
                    }
                }
            }));
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }

    private static void describeCreated(ClusterMetadata md, CreatableTopicResult result, int partitions, int rf,
            Map<String, String> overrides, short version) {
        result.setErrorCode(Errors.NONE.code()).setNumPartitions(partitions).setReplicationFactor((short) rf);
        if (version >= 5) {
            List<CreatableTopicConfigs> configs = new ArrayList<>();
            for (ConfigsHandler.Entry e : ConfigsHandler.effective(md.topicConfigDefaults(), overrides)) {
                configs.add(new CreatableTopicConfigs().setName(e.name()).setValue(e.value()).setReadOnly(false)
                        .setConfigSource(e.source()).setIsSensitive(false));
            }
            result.setConfigs(configs);
        }
    }

    private static CreatableTopicResult error(CreatableTopicResult result, Errors error, String message) {
        return result.setErrorCode(error.code()).setErrorMessage(message == null ? error.message() : message)
                .setNumPartitions(-1).setReplicationFactor((short) -1).setConfigs(null);
    }

    CompletableFuture<Outcome> deleteTopics(KafkaRequest req) {
        DeleteTopicsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        DeleteTopicsResponseData resp = new DeleteTopicsResponseData().setThrottleTimeMs(0);
        List<DeleteTopicState> targets = new ArrayList<>();
        if (req.version() >= 6) {
            targets.addAll(data.topics());
        } else {
            for (String name : data.topicNames()) {
                targets.add(new DeleteTopicState().setName(name).setTopicId(Uuid.ZERO_UUID));
            }
        }
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (DeleteTopicState target : targets) {
            DeletableTopicResult result = new DeletableTopicResult().setName(target.name())
                    .setTopicId(target.topicId() == null ? Uuid.ZERO_UUID : target.topicId());
            resp.responses().add(result);
            if (md == null) {
                deleteError(result, Errors.NOT_CONTROLLER, "the cluster metadata is not available right now", req.version());
                continue;
            }
            TopicInfo topic;
            boolean hasId = target.topicId() != null && !Uuid.ZERO_UUID.equals(target.topicId());
            if (hasId && target.name() != null) {
                deleteError(result, Errors.INVALID_REQUEST, "You may not specify both topic name and topic id.", req.version());
                continue;
            }
            if (target.name() == null) {
                topic = broker.topicById(md, target.topicId());
                if (topic == null) {
                    deleteError(result, Errors.UNKNOWN_TOPIC_ID, null, req.version());
                    continue;
                }
                result.setName(topic.name());
            } else {
                Optional<TopicInfo> t = md.topic(target.name());
                if (t.isEmpty()) {
                    deleteError(result, Errors.UNKNOWN_TOPIC_OR_PARTITION, null, req.version());
                    continue;
                }
                topic = t.get();
                result.setTopicId(Broker.kafkaId(topic));
            }
            if (!seen.add(topic.name())) {
                deleteError(result, Errors.INVALID_REQUEST, "duplicate topic in the request", req.version());
                continue;
            }
            if (Broker.isInternal(topic.name())) {
                deleteError(result, Errors.INVALID_REQUEST, "the internal topic " + topic.name()
                        + " holds the consumer groups' committed offsets and cannot be deleted", req.version());
                continue;
            }
            pending.add(Futures.handle(md.deleteTopic(topic.name()), (v, failure) -> {
                synchronized (result) {
                    if (failure == null) {
                        result.setErrorCode(Errors.NONE.code());
                        LOG.info("deleted topic '{}'", topic.name());
                    } else {
                        deleteError(result, KafkaErrors.of(failure, KafkaErrors.Context.ADMIN), KafkaErrors.message(failure),
                                req.version());
                    }
                }
            }));
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }

    private static void deleteError(DeletableTopicResult result, Errors error, String message, short version) {
        result.setErrorCode(error.code());
        if (version >= 5) {
            result.setErrorMessage(message == null ? error.message() : message);
        }
    }

    CompletableFuture<Outcome> createPartitions(KafkaRequest req) {
        CreatePartitionsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        CreatePartitionsResponseData resp = new CreatePartitionsResponseData().setThrottleTimeMs(0);
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new HashSet<>();
        for (CreatePartitionsRequestData.CreatePartitionsTopic t : data.topics()) {
            if (!seen.add(t.name())) {
                duplicates.add(t.name());
            }
        }
        Set<String> reportedDuplicates = new HashSet<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (CreatePartitionsRequestData.CreatePartitionsTopic t : data.topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(t.name());
            if (duplicates.contains(t.name())) {
                if (reportedDuplicates.add(t.name())) {
                    resp.results().add(result.setErrorCode(Errors.INVALID_REQUEST.code())
                            .setErrorMessage("Duplicate topic in request."));
                }
                continue;
            }
            resp.results().add(result);
            if (md == null) {
                result.setErrorCode(Errors.NOT_CONTROLLER.code()).setErrorMessage("the cluster metadata is not available right now");
                continue;
            }
            Optional<TopicInfo> topic = md.topic(t.name());
            if (topic.isEmpty()) {
                result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                        .setErrorMessage("The topic '" + t.name() + "' does not exist.");
                continue;
            }
            if (Broker.isInternal(t.name())) {
                result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("the partition count of the internal topic "
                        + t.name() + " places the consumer groups and cannot change");
                continue;
            }
            int current = topic.get().partitions().size();
            if (t.count() <= current) {
                result.setErrorCode(Errors.INVALID_PARTITIONS.code()).setErrorMessage(t.count() == current
                        ? "Topic already has " + current + " partitions."
                        : "Topic currently has " + current + " partitions, which is higher than the requested " + t.count() + ".");
                continue;
            }
            List<List<Integer>> assignment = null;
            if (t.assignments() != null) {
                assignment = new ArrayList<>();
                for (CreatePartitionsAssignment a : t.assignments()) {
                    assignment.add(a.brokerIds());
                }
                String refused = assignment.size() != t.count() - current
                        ? "Attempted to add " + (t.count() - current) + " additional partitions, but only "
                                + assignment.size() + " assignments were specified."
                        : assignmentError(md, assignment, topic.get().partitions().get(0).replicas().size());
                if (refused != null) {
                    result.setErrorCode(Errors.INVALID_REPLICA_ASSIGNMENT.code()).setErrorMessage(refused);
                    continue;
                }
            }
            if (data.validateOnly()) {
                result.setErrorCode(Errors.NONE.code());
                continue;
            }
            CompletionStage<TopicInfo> grown = assignment != null ? md.createPartitions(t.name(), t.count(), assignment)
                    : md.createPartitions(t.name(), t.count());
            pending.add(Futures.handle(grown, (info, failure) -> {
                synchronized (result) {
                    if (failure == null) {
                        result.setErrorCode(Errors.NONE.code()).setErrorMessage(null);
                        LOG.info("topic '{}' now has {} partitions", t.name(), info.partitions().size());
                    } else {
                        Errors error = KafkaErrors.of(failure, KafkaErrors.Context.ADMIN);
                        result.setErrorCode(error.code()).setErrorMessage(KafkaErrors.message(failure));
                    }
                }
            }));
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }

    /**
     * Why new partitions' replica lists are refused (Kafka's rules: each of {@code rf} distinct registered
     * brokers), or {@code null}.
     */
    private static String assignmentError(ClusterMetadata md, List<List<Integer>> assignment, int rf) {
        Set<Integer> registered = new HashSet<>();
        for (BrokerInfo b : md.brokers()) {
            registered.add(b.nodeId());
        }
        for (List<Integer> replicas : assignment) {
            if (replicas.size() != rf) {
                return "Inconsistent replication factor between partitions, partition 0 has " + rf
                        + " while partitions " + assignment.indexOf(replicas) + " has replication factor " + replicas.size() + ".";
            }
            if (new HashSet<>(replicas).size() != replicas.size()) {
                return "Duplicate brokers not allowed in replica assignment: " + replicas;
            }
            if (!registered.containsAll(replicas)) {
                return "Unknown broker(s) in replica assignment: " + replicas;
            }
        }
        return null;
    }
}
