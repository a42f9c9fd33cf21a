package io.chronik.protocol.kafka.internal.handler;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka's replication throttles, which {@code kafka-reassign-partitions --execute --throttle} sets and
 * {@code --verify} clears: the broker-level rates ({@code leader.replication.throttled.rate},
 * {@code follower.replication.throttled.rate}, {@code replica.alter.log.dirs.io.max.bytes.per.second}) and the
 * topic-level replica lists ({@code leader.replication.throttled.replicas},
 * {@code follower.replication.throttled.replicas}).
 *
 * <p>They have no effect here: replicas copy a partition through Raft, not through Kafka's replica fetchers, and
 * there are no log directories to move between. So that Kafka's tools work, the broker accepts them, checks their
 * values as Kafka does, and remembers them on this node (not in the cluster metadata, and not across restarts) so
 * that DescribeConfigs shows what was set. A topic's replica lists are kept here only while the metadata provider does
 * not know them as topic configs ({@code ClusterMetadata.topicConfigDefaults()}); otherwise they are ordinary topic
 * configs. Topic entries are keyed by topic id, so a re-created topic starts without them.
 *
 * <p>Thread-safe: each resource's configs are replaced atomically; reads return immutable snapshots.
 */
final class ReplicationThrottles {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicationThrottles.class);

    static final Set<String> BROKER_KEYS = Set.of("leader.replication.throttled.rate",
            "follower.replication.throttled.rate", "replica.alter.log.dirs.io.max.bytes.per.second");
    static final Set<String> TOPIC_KEYS = Set.of("leader.replication.throttled.replicas",
            "follower.replication.throttled.replicas");

    /** Kafka's ThrottledReplicaListValidator: each element empty or {@code partition:broker}. */
    private static final Pattern REPLICA = Pattern.compile("([0-9]+:[0-9]+)?");

    /** Broker resource name ("" = the cluster-wide default) to its throttle rates. */
    private final Map<String, Map<String, String>> brokers = new ConcurrentHashMap<>();
    private final Map<UUID, Map<String, String>> topics = new ConcurrentHashMap<>();

    /** Why {@code value} is not valid for broker throttle {@code name}, or {@code null} if it is. */
    static String checkBroker(String name, String value) {
        try {
            if (Long.parseLong(value.trim()) >= 0) {
                return null;
            }
        } catch (NumberFormatException e) {
            return "Invalid value " + value + " for configuration " + name + ": Not a number of type LONG";
        }
        return "Invalid value " + value + " for configuration " + name + ": Value must be at least 0";
    }

    /** Why {@code value} is not valid for topic throttle {@code name}, or {@code null} if it is. */
    static String checkTopic(String name, String value) {
        if (value.trim().equals("*")) {
            return null;
        }
        for (String element : value.split(",", -1)) {
            if (!REPLICA.matcher(element.trim()).matches()) {
                return "Invalid value " + value + " for configuration " + name + ": " + name + " must be the literal '*' "
                        + "or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
            }
        }
        return null;
    }

    Map<String, String> broker(String resource) {
        return brokers.getOrDefault(resource, Map.of());
    }

    Map<String, String> topic(UUID id) {
        return id == null ? Map.of() : topics.getOrDefault(id, Map.of());
    }

    /** Sets and removes broker throttles of {@code resource} (a node id, or "" for the cluster default). */
    void alterBroker(String resource, Map<String, String> set, Set<String> delete, boolean replace) {
        brokers.compute(resource, (k, old) -> merged(old, set, delete, replace));
        LOG.info("broker {}: replication throttles now {} (set {}, removed {}); they are remembered as dynamic broker "
                + "configs on this node and have no effect, since replicas copy partitions through Raft",
                resource.isEmpty() ? "<default>" : resource, broker(resource), set, replace ? "all others" : delete);
    }

    /** Sets and removes the throttled replica lists of the topic {@code name} with id {@code id}. */
    void alterTopic(String name, UUID id, Map<String, String> set, Set<String> delete, boolean replace) {
        if (id == null) {
            return;
        }
        topics.compute(id, (k, old) -> merged(old, set, delete, replace));
        LOG.info("topic '{}': replication throttles now {} (set {}, removed {}); they are remembered on this node and have "
                + "no effect, since replicas copy partitions through Raft", name, topic(id), set,
                replace ? "all others" : delete);
    }

    private static Map<String, String> merged(Map<String, String> old, Map<String, String> set, Set<String> delete,
            boolean replace) {
        Map<String, String> m = new HashMap<>(old == null || replace ? Map.of() : old);
        m.keySet().removeAll(delete);
        m.putAll(set);
        return m.isEmpty() ? null : Map.copyOf(m);
    }
}
