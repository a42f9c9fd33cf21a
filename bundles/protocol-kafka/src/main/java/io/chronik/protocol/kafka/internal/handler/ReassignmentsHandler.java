package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignablePartitionResponse;
import org.apache.kafka.common.message.AlterPartitionReassignmentsResponseData.ReassignableTopicResponse;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData.ListPartitionReassignmentsTopics;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingPartitionReassignment;
import org.apache.kafka.common.message.ListPartitionReassignmentsResponseData.OngoingTopicReassignment;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.Reassignment;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/**
 * AlterPartitionReassignments and ListPartitionReassignments ({@code kafka-reassign-partitions},
 * {@code Admin.alterPartitionReassignments} / {@code listPartitionReassignments}) over
 * {@link ClusterMetadata#reassignPartition} and {@link ClusterMetadata#reassignments()}.
 *
 * <p>Kafka clients send both to the controller that Metadata and DescribeCluster name (the metadata leader); any node
 * can serve them, since the provider forwards metadata writes to the leader. Each partition gets its own error: one
 * bad partition does not fail the others. The response to AlterPartitionReassignments comes once every reassignment is
 * recorded in the cluster metadata (the provider's own timeout bounds it), not when the data has moved; the request's
 * {@code timeoutMs} is not used. Like the other admin APIs of this broker, neither is authorized.
 *
 * <p>When the metadata cannot be changed now for every partition of a request (the provider answers NOT_AVAILABLE or
 * NOT_LEADER), the whole response carries NOT_CONTROLLER, which makes the Java client refresh its metadata and retry
 * the request until its own timeout; nothing was recorded, so the retry is safe.
 *
 * <p>Called on a connection's event loop; never blocks.
 */
final class ReassignmentsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ReassignmentsHandler.class);
    private static final String NO_METADATA = "the cluster metadata is not available right now";

    private final Broker broker;

    ReassignmentsHandler(Broker broker) {
        this.broker = broker;
    }

    CompletableFuture<Outcome> alterPartitionReassignments(KafkaRequest req) {
        AlterPartitionReassignmentsRequestData data = req.body();
        AlterPartitionReassignmentsResponseData resp = new AlterPartitionReassignmentsResponseData().setThrottleTimeMs(0)
                .setErrorCode(Errors.NONE.code()).setErrorMessage(null);
        if (req.version() >= 1) {
            resp.setAllowReplicationFactorChange(data.allowReplicationFactorChange());
        }
        ClusterMetadata md = broker.metadata();
        if (md == null) {
            return done(req, resp.setErrorCode(Errors.NOT_CONTROLLER.code()).setErrorMessage(NO_METADATA));
        }
        Map<String, Reassignment> inProgress = new TreeMap<>();
        for (Reassignment r : md.reassignments()) {
            inProgress.put(key(r.topic(), r.partition()), r);
        }
        List<ReassignablePartitionResponse> all = new ArrayList<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (ReassignableTopic t : data.topics()) {
            ReassignableTopicResponse topicResponse = new ReassignableTopicResponse().setName(t.name());
            resp.responses().add(topicResponse);
            for (ReassignablePartition p : t.partitions()) {
                ReassignablePartitionResponse result = new ReassignablePartitionResponse()
                        .setPartitionIndex(p.partitionIndex()).setErrorCode(Errors.NONE.code()).setErrorMessage(null);
                topicResponse.partitions().add(result);
                all.add(result);
                List<Integer> target = p.replicas() == null ? null : List.copyOf(p.replicas());
                // as Kafka's controller: an invalid list is INVALID_REPLICA_ASSIGNMENT (from the provider) even then
                if (target != null && !data.allowReplicationFactorChange() && assignable(md, target)) {
                    int current = replicationFactor(md, inProgress, t.name(), p.partitionIndex());
                    if (current >= 0 && current != target.size()) {
                        result.setErrorCode(Errors.INVALID_REPLICATION_FACTOR.code()).setErrorMessage(
                                "The replication factor is changed from " + current + " to " + target.size());
                        continue;
                    }
                }
                pending.add(Futures.handle(md.reassignPartition(t.name(), p.partitionIndex(), target), (v, failure) -> {
                    if (failure == null) {
                        if (target == null) {
                            LOG.info("cancelled the reassignment of {}-{} (client {})", t.name(), p.partitionIndex(),
                                    req.clientId());
                        } else {
                            LOG.info("reassigning {}-{} to replicas {} (client {})", t.name(), p.partitionIndex(), target,
                                    req.clientId());
                        }
                    } else {
                        Errors error = KafkaErrors.of(failure, KafkaErrors.Context.ADMIN);
                        result.setErrorCode(error.code()).setErrorMessage(messageOf(error, failure));
                    }
                }));
            }
        }
        return Futures.all(pending).thenApply(v -> {
            if (!all.isEmpty() && all.stream().allMatch(r -> r.errorCode() == Errors.NOT_CONTROLLER.code())) {
                resp.setErrorCode(Errors.NOT_CONTROLLER.code()).setErrorMessage(all.get(0).errorMessage());
            }
            return req.respond(resp);
        });
    }

    /** Whether {@code replicas} passes the provider's checks: distinct, registered, unfenced brokers. */
    private static boolean assignable(ClusterMetadata md, List<Integer> replicas) {
        Set<Integer> live = new HashSet<>();
        md.brokers().forEach(b -> {
            if (!b.fenced()) {
                live.add(b.nodeId());
            }
        });
        return !replicas.isEmpty() && Set.copyOf(replicas).size() == replicas.size() && live.containsAll(replicas);
    }

    /**
     * The replication factor a partition has or is being moved to (Kafka compares a new target with the target of the
     * reassignment in progress), or -1 for an unknown partition, which the provider then reports.
     */
    private static int replicationFactor(ClusterMetadata md, Map<String, Reassignment> inProgress, String topic,
            int partition) {
        Reassignment r = inProgress.get(key(topic, partition));
        if (r != null) {
            return r.targetReplicas().size();
        }
        Optional<TopicInfo> t = md.topic(topic);
        if (t.isEmpty() || partition < 0 || partition >= t.get().partitions().size()) {
            return -1;
        }
        return t.get().partitions().get(partition).replicas().size();
    }

    Outcome listPartitionReassignments(KafkaRequest req) {
        ListPartitionReassignmentsRequestData data = req.body();
        ListPartitionReassignmentsResponseData resp = new ListPartitionReassignmentsResponseData().setThrottleTimeMs(0)
                .setErrorCode(Errors.NONE.code()).setErrorMessage(null);
        ClusterMetadata md = broker.metadata();
        if (md == null) {
            return req.respond(resp.setErrorCode(Errors.NOT_CONTROLLER.code()).setErrorMessage(NO_METADATA));
        }
        Map<String, Map<Integer, Reassignment>> byTopic = new TreeMap<>();
        for (Reassignment r : md.reassignments()) {
            byTopic.computeIfAbsent(r.topic(), k -> new TreeMap<>()).put(r.partition(), r);
        }
        if (data.topics() == null) {
            byTopic.forEach((topic, parts) -> add(resp, topic, new ArrayList<>(parts.values())));
            return req.respond(resp);
        }
        // named partitions: only those being reassigned are listed; unknown topics and partitions are left out
        Map<String, TreeSet<Integer>> wanted = new TreeMap<>();
        for (ListPartitionReassignmentsTopics t : data.topics()) {
            wanted.computeIfAbsent(t.name(), k -> new TreeSet<>()).addAll(t.partitionIndexes());
        }
        wanted.forEach((topic, parts) -> {
            Map<Integer, Reassignment> ongoing = byTopic.getOrDefault(topic, Map.of());
            List<Reassignment> found = new ArrayList<>();
            for (Integer p : parts) {
                Reassignment r = ongoing.get(p);
                if (r != null) {
                    found.add(r);
                }
            }
            add(resp, topic, found);
        });
        return req.respond(resp);
    }

    private static void add(ListPartitionReassignmentsResponseData resp, String topic, List<Reassignment> found) {
        if (found.isEmpty()) {
            return;
        }
        OngoingTopicReassignment t = new OngoingTopicReassignment().setName(topic);
        for (Reassignment r : found) {
            t.partitions().add(new OngoingPartitionReassignment().setPartitionIndex(r.partition())
                    .setReplicas(new ArrayList<>(r.replicas())).setAddingReplicas(new ArrayList<>(r.addingReplicas()))
                    .setRemovingReplicas(new ArrayList<>(r.removingReplicas())));
        }
        resp.topics().add(t);
    }

    private static String messageOf(Errors error, Throwable failure) {
        String message = KafkaErrors.message(failure);
        return message == null ? error.message() : message;
    }

    private static String key(String topic, int partition) {
        return topic + '\u0000' + partition;
    }

    private static CompletableFuture<Outcome> done(KafkaRequest req, AlterPartitionReassignmentsResponseData resp) {
        return CompletableFuture.completedFuture(req.respond(resp));
    }
}
