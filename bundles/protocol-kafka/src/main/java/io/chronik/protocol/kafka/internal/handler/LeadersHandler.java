package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.ElectLeadersRequestData.TopicPartitions;
import org.apache.kafka.common.message.ElectLeadersResponseData;
import org.apache.kafka.common.message.ElectLeadersResponseData.PartitionResult;
import org.apache.kafka.common.message.ElectLeadersResponseData.ReplicaElectionResult;
import org.apache.kafka.common.protocol.Errors;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.ElectionResult;
import io.chronik.api.consensus.PartitionInfo;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/**
 * ElectLeaders ({@code kafka-leader-election}, {@code Admin.electLeaders}).
 *
 * <p>PREFERRED moves each partition's leadership to its first replica through
 * {@link ClusterMetadata#electPreferredLeaders}: NONE once moved, ELECTION_NOT_NEEDED if it already led,
 * PREFERRED_LEADER_NOT_AVAILABLE if it cannot lead now, UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist.
 *
 * <p>UNCLEAN is refused: Raft never elects a replica that may miss committed records, so a partition with a leader
 * gets ELECTION_NOT_NEEDED (as in Kafka, an unclean election is only ever needed without a leader) and one without a
 * leader ELIGIBLE_LEADERS_NOT_AVAILABLE, Kafka's answer when no replica may become leader.
 *
 * <p>Without a partition list (all partitions), partitions that needed no election are left out of the response, as
 * Kafka's controller does.
 */
final class LeadersHandler {
    private static final String NO_UNCLEAN = "unclean leader election is not supported: Raft only elects a replica "
            + "that holds every committed record";

    private final Broker broker;

    LeadersHandler(Broker broker) {
        this.broker = broker;
    }

    CompletableFuture<Outcome> electLeaders(KafkaRequest req) {
        ElectLeadersRequestData data = req.body();
        ElectLeadersResponseData resp = new ElectLeadersResponseData().setThrottleTimeMs(0);
        ClusterMetadata md = broker.metadata();
        if (md == null) {
            return done(req, resp.setErrorCode(Errors.NOT_CONTROLLER.code()));
        }
        ElectionType type;
        try {
            type = req.version() == 0 ? ElectionType.PREFERRED : ElectionType.valueOf(data.electionType());
        } catch (IllegalArgumentException e) {
            return done(req, resp.setErrorCode(Errors.INVALID_REQUEST.code()));
        }
        boolean all = data.topicPartitions() == null;
        Map<String, Set<Integer>> wanted = null;
        if (!all) {
            wanted = new TreeMap<>();
            for (TopicPartitions tp : data.topicPartitions()) {
                wanted.computeIfAbsent(tp.topic(), k -> new TreeSet<>()).addAll(tp.partitions());
            }
        }
        if (type == ElectionType.UNCLEAN) {
            return done(req, respond(resp, unclean(md, wanted), all));
        }
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Futures.handle(md.electPreferredLeaders(wanted), (results, failure) -> {
            if (failure != null) {
                resp.setErrorCode(KafkaErrors.of(failure, KafkaErrors.Context.ADMIN).code());
            } else {
                respond(resp, preferred(results), all);
            }
            outcome.complete(req.respond(resp));
        });
        return outcome;
    }

    private static Map<String, Map<Integer, Errors>> preferred(Map<String, Map<Integer, ElectionResult>> results) {
        Map<String, Map<Integer, Errors>> errors = new TreeMap<>();
        results.forEach((topic, parts) -> {
            Map<Integer, Errors> e = errors.computeIfAbsent(topic, k -> new TreeMap<>());
            parts.forEach((p, r) -> e.put(p, switch (r) {
                case ELECTED -> Errors.NONE;
                case NOT_NEEDED -> Errors.ELECTION_NOT_NEEDED;
                case PREFERRED_NOT_AVAILABLE -> Errors.PREFERRED_LEADER_NOT_AVAILABLE;
                case UNKNOWN_PARTITION -> Errors.UNKNOWN_TOPIC_OR_PARTITION;
            }));
        });
        return errors;
    }

    private static Map<String, Map<Integer, Errors>> unclean(ClusterMetadata md, Map<String, Set<Integer>> wanted) {
        Map<String, Map<Integer, Errors>> errors = new TreeMap<>();
        if (wanted == null) {
            for (TopicInfo t : md.topics()) {
                Map<Integer, Errors> e = errors.computeIfAbsent(t.name(), k -> new TreeMap<>());
                t.partitions().forEach(p -> e.put(p.partition(), uncleanError(p)));
            }
            return errors;
        }
        wanted.forEach((topic, parts) -> {
            TopicInfo t = md.topic(topic).orElse(null);
            Map<Integer, Errors> e = errors.computeIfAbsent(topic, k -> new TreeMap<>());
            for (Integer p : parts) {
                boolean known = t != null && p >= 0 && p < t.partitions().size();
                e.put(p, known ? uncleanError(t.partitions().get(p)) : Errors.UNKNOWN_TOPIC_OR_PARTITION);
            }
        });
        return errors;
    }

    private static Errors uncleanError(PartitionInfo p) {
        return p.leader() >= 0 ? Errors.ELECTION_NOT_NEEDED : Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE;
    }

    private static ElectLeadersResponseData respond(ElectLeadersResponseData resp, Map<String, Map<Integer, Errors>> errors,
            boolean all) {
        List<ReplicaElectionResult> results = new ArrayList<>();
        errors.forEach((topic, parts) -> {
            List<PartitionResult> partitionResults = new ArrayList<>();
            parts.forEach((p, error) -> {
                if (all && error == Errors.ELECTION_NOT_NEEDED) {
                    return;
                }
                partitionResults.add(new PartitionResult().setPartitionId(p).setErrorCode(error.code())
                        .setErrorMessage(message(error)));
            });
            if (!partitionResults.isEmpty()) {
                results.add(new ReplicaElectionResult().setTopic(topic).setPartitionResult(partitionResults));
            }
        });
        return resp.setErrorCode(Errors.NONE.code()).setReplicaElectionResults(results);
    }

    private static String message(Errors error) {
        switch (error) {
            case NONE:
                return null;
            case ELIGIBLE_LEADERS_NOT_AVAILABLE:
                return NO_UNCLEAN;
            case PREFERRED_LEADER_NOT_AVAILABLE:
                return "the preferred replica is not running or not caught up";
            default:
                return error.message();
        }
    }

    private static CompletableFuture<Outcome> done(KafkaRequest req, ElectLeadersResponseData resp) {
        return CompletableFuture.completedFuture(req.respond(resp));
    }
}
