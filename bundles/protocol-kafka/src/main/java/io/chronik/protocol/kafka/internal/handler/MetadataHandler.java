package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBrokerCollection;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopicCollection;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.BrokerInfo;
import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ConsensusException;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/** Metadata: brokers, controller, cluster id and topics (all, by name or by id), with auto-creation. */
final class MetadataHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MetadataHandler.class);

    private final Broker broker;

    MetadataHandler(Broker broker) {
        this.broker = broker;
    }

    Outcome handle(KafkaRequest req) {
        MetadataRequestData data = req.body();
        short version = req.version();
        MetadataResponseData resp = new MetadataResponseData().setThrottleTimeMs(0);
        ClusterMetadata md = broker.metadata();
        if (md == null) {
            // no brokers: the clients treat this as a failed update and retry
            if (data.topics() != null) {
                for (MetadataRequestData.MetadataRequestTopic t : data.topics()) {
                    resp.topics().add(new MetadataResponseTopic().setName(t.name()).setTopicId(orZero(t.topicId()))
                            .setErrorCode(Errors.LEADER_NOT_AVAILABLE.code()));
                }
            }
            return req.respond(resp);
        }
        MetadataResponseBrokerCollection brokers = new MetadataResponseBrokerCollection();
        for (BrokerInfo b : md.brokers()) {
            if (b.fenced()) {
                continue; // as Kafka: a fenced broker is not offered to clients
            }
            brokers.add(new MetadataResponseBroker().setNodeId(b.nodeId()).setHost(b.host()).setPort(b.port()).setRack(b.rack()));
        }
        resp.setBrokers(brokers).setClusterId(md.clusterId()).setControllerId(md.controllerId());

        MetadataResponseTopicCollection topics = new MetadataResponseTopicCollection();
        boolean all = data.topics() == null || (version == 0 && data.topics().isEmpty());
        if (all) {
            for (TopicInfo t : md.topics()) {
                topics.add(describe(t));
            }
        } else {
            boolean allowAutoCreate = version < 4 || data.allowAutoTopicCreation();
            for (MetadataRequestData.MetadataRequestTopic rt : data.topics()) {
                // as Kafka: from v12 a request naming topics by id is answered by id (the name is ignored)
                boolean hasId = rt.topicId() != null && !Uuid.ZERO_UUID.equals(rt.topicId());
                if (version >= 12 && (hasId || rt.name() == null)) {
                    TopicInfo t = broker.topicById(md, rt.topicId());
                    if (t == null) {
                        topics.add(new MetadataResponseTopic().setName(null).setTopicId(orZero(rt.topicId()))
                                .setErrorCode(Errors.UNKNOWN_TOPIC_ID.code()));
                    } else if (topics.find(t.name()) == null) {
                        topics.add(describe(t));
                    }
                    continue;
                }
                if (rt.name() == null) {
                    continue; // only valid with a topic id (v12+)
                }
                if (topics.find(rt.name()) != null) {
                    continue;
                }
                Optional<TopicInfo> t = md.topic(rt.name());
                if (t.isPresent()) {
                    topics.add(describe(t.get()));
                } else {
                    Errors error = allowAutoCreate && broker.settings().autoCreateTopics()
                            ? autoCreate(md, broker, rt.name()) : Errors.UNKNOWN_TOPIC_OR_PARTITION;
                    topics.add(new MetadataResponseTopic().setName(rt.name()).setTopicId(Uuid.ZERO_UUID)
                            .setErrorCode(error.code()));
                }
            }
        }
        resp.setTopics(topics);
        return req.respond(resp);
    }

    /**
     * Starts creating {@code name} with the default partition count and replication factor and returns the error
     * to report meanwhile: LEADER_NOT_AVAILABLE (retriable, as Kafka answers), or why the topic cannot be created.
     */
    static Errors autoCreate(ClusterMetadata md, Broker broker, String name) {
        if (Broker.isInternal(name)) {
            return Errors.UNKNOWN_TOPIC_OR_PARTITION; // created by the group coordinator, with its own configs
        }
        int partitions = broker.settings().numPartitions();
        int rf = broker.settings().defaultReplicationFactor();
        try {
            md.validateTopic(name, partitions, rf, Map.of());
        } catch (ConsensusException e) {
            if (e.reason() == ConsensusException.Reason.TOPIC_EXISTS) {
                return Errors.LEADER_NOT_AVAILABLE;
            }
            LOG.debug("not auto-creating topic '{}': {}", name, e.getMessage());
            Errors error = KafkaErrors.of(e, KafkaErrors.Context.ADMIN);
            return error == Errors.INVALID_TOPIC_EXCEPTION ? error : Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        if (!broker.startAutoCreate(name)) {
            return Errors.LEADER_NOT_AVAILABLE;
        }
        LOG.info("auto-creating topic '{}' with {} partition(s), replication factor {}", name, partitions, rf);
        Futures.handle(md.createTopic(name, partitions, rf, Map.of()), (t, failure) -> {
            broker.autoCreateDone(name);
            if (failure != null) {
                LOG.debug("auto-creation of topic '{}' failed: {}", name, KafkaErrors.message(failure));
            }
        });
        return Errors.LEADER_NOT_AVAILABLE;
    }

    private static MetadataResponseTopic describe(TopicInfo t) {
        List<MetadataResponsePartition> partitions = new ArrayList<>(t.partitions().size());
        for (PartitionInfo p : t.partitions()) {
            partitions.add(new MetadataResponsePartition()
                    .setErrorCode(p.leader() < 0 ? Errors.LEADER_NOT_AVAILABLE.code() : Errors.NONE.code())
                    .setPartitionIndex(p.partition()).setLeaderId(p.leader()).setLeaderEpoch(p.leaderEpoch())
                    .setReplicaNodes(new ArrayList<>(p.replicas())).setIsrNodes(new ArrayList<>(p.inSyncReplicas()))
                    .setOfflineReplicas(new ArrayList<>(p.offlineReplicas())));
        }
        return new MetadataResponseTopic().setErrorCode(Errors.NONE.code()).setName(t.name())
                .setTopicId(Broker.kafkaId(t)).setIsInternal(Broker.isInternal(t.name())).setPartitions(partitions);
    }

    private static Uuid orZero(Uuid id) {
        return id == null ? Uuid.ZERO_UUID : id;
    }
}
