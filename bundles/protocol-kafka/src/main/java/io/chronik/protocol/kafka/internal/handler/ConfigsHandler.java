package io.chronik.protocol.kafka.internal.handler;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.chronik.api.consensus.ClusterMetadata;
import io.chronik.api.consensus.TopicInfo;
import io.chronik.protocol.kafka.internal.codec.KafkaErrors;
import io.chronik.protocol.kafka.internal.codec.KafkaRequest;
import io.chronik.protocol.kafka.internal.codec.Outcome;

/**
 * DescribeConfigs, AlterConfigs and IncrementalAlterConfigs. Topic configs are the cluster's defaults
 * ({@link ClusterMetadata#topicConfigDefaults()}) overlaid by the topic's overrides; broker resources report the
 * defaults and are read-only, except for Kafka's replication throttles, which are accepted on broker and topic
 * resources so that {@code kafka-reassign-partitions} works, and have no effect ({@link ReplicationThrottles}).
 */
final class ConfigsHandler {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigsHandler.class);

    static final byte TOPIC = 2;
    static final byte BROKER = 4;

    // DescribeConfigsResponse config sources and types (Kafka's ConfigSource / ConfigType ids)
    static final byte SOURCE_TOPIC_CONFIG = 1;
    static final byte SOURCE_DYNAMIC_BROKER_CONFIG = 2;
    static final byte SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
    static final byte SOURCE_STATIC_BROKER_CONFIG = 4;
    static final byte SOURCE_DEFAULT_CONFIG = 5;
    private static final byte TYPE_BOOLEAN = 1;
    private static final byte TYPE_STRING = 2;
    private static final byte TYPE_INT = 3;
    private static final byte TYPE_LONG = 5;
    private static final byte TYPE_DOUBLE = 6;
    private static final byte TYPE_LIST = 7;

    /** Topic configs whose values are comma-separated lists (IncrementalAlterConfigs APPEND / SUBTRACT). */
    static final Set<String> LIST_CONFIGS = Set.of("cleanup.policy", "leader.replication.throttled.replicas",
            "follower.replication.throttled.replicas");
    private static final Set<String> BOOLEAN_CONFIGS = Set.of("unclean.leader.election.enable", "preallocate",
            "message.downconversion.enable", "remote.storage.enable", "remote.log.copy.disable",
            "remote.log.delete.on.disable");
    private static final Set<String> INT_CONFIGS = Set.of("max.message.bytes", "min.insync.replicas",
            "index.interval.bytes", "segment.bytes", "segment.index.bytes");

    /** One effective topic config. */
    record Entry(String name, String value, byte source, String defaultValue, boolean overridden) {
    }

    private final Broker broker;
    private final ReplicationThrottles throttles;

    ConfigsHandler(Broker broker) {
        this.broker = broker;
        this.throttles = broker.throttles();
    }

    /** The defaults overlaid with the overrides, sorted by name. */
    static List<Entry> effective(Map<String, String> defaults, Map<String, String> overrides) {
        Map<String, String> names = new TreeMap<>(defaults);
        names.putAll(overrides);
        List<Entry> entries = new ArrayList<>(names.size());
        for (Map.Entry<String, String> e : names.entrySet()) {
            boolean overridden = overrides.containsKey(e.getKey());
            entries.add(new Entry(e.getKey(), e.getValue(), overridden ? SOURCE_TOPIC_CONFIG : SOURCE_DEFAULT_CONFIG,
                    defaults.get(e.getKey()), overridden));
        }
        return entries;
    }

    static byte type(String name) {
        if (LIST_CONFIGS.contains(name)) {
            return TYPE_LIST;
        }
        if (ReplicationThrottles.BROKER_KEYS.contains(name)) {
            return TYPE_LONG;
        }
        if (BOOLEAN_CONFIGS.contains(name)) {
            return TYPE_BOOLEAN;
        }
        if (INT_CONFIGS.contains(name)) {
            return TYPE_INT;
        }
        if (name.equals("min.cleanable.dirty.ratio")) {
            return TYPE_DOUBLE;
        }
        if (name.endsWith(".ms") || name.endsWith(".bytes") || name.equals("flush.messages")) {
            return TYPE_LONG;
        }
        return TYPE_STRING;
    }

    Outcome describeConfigs(KafkaRequest req) {
        DescribeConfigsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        DescribeConfigsResponseData resp = new DescribeConfigsResponseData().setThrottleTimeMs(0);
        for (DescribeConfigsRequestData.DescribeConfigsResource r : data.resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(r.resourceType())
                    .setResourceName(r.resourceName()).setErrorCode(Errors.NONE.code());
            resp.results().add(result);
            Set<String> keys = r.configurationKeys() == null ? null : new HashSet<>(r.configurationKeys());
            if (md == null) {
                result.setErrorCode(Errors.NOT_CONTROLLER.code()).setErrorMessage("the cluster metadata is not available right now");
                continue;
            }
            List<Entry> entries;
            boolean brokerResource = false;
            if (r.resourceType() == TOPIC) {
                Optional<TopicInfo> topic = md.topic(r.resourceName());
                if (topic.isEmpty()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("The topic '" + r.resourceName() + "' does not exist.");
                    continue;
                }
                Map<String, String> overrides = new HashMap<>(throttles.topic(topic.get().id()));
                overrides.putAll(topic.get().configs());
                entries = effective(md.topicConfigDefaults(), overrides);
            } else if (r.resourceType() == BROKER) {
                if (!isBrokerName(md, r.resourceName())) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code())
                            .setErrorMessage("unknown broker '" + r.resourceName() + "'");
                    continue;
                }
                brokerResource = true;
                entries = new ArrayList<>(effective(md.topicConfigDefaults(), Map.of()));
                entries.addAll(brokerThrottles(r.resourceName()));
            } else {
                result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("unsupported resource type " + r.resourceType());
                continue;
            }
            for (Entry e : entries) {
                if (keys != null && !keys.contains(e.name())) {
                    continue;
                }
                boolean dynamic = e.source() == SOURCE_DYNAMIC_BROKER_CONFIG || e.source() == SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG;
                byte source = brokerResource && !dynamic ? SOURCE_DEFAULT_CONFIG : e.source();
                DescribeConfigsResourceResult c = new DescribeConfigsResourceResult().setName(e.name()).setValue(e.value())
                        .setReadOnly(brokerResource && !dynamic).setConfigSource(source).setIsSensitive(false)
                        .setConfigType(type(e.name())).setDocumentation(null);
                if (data.includeSynonyms()) {
                    List<DescribeConfigsSynonym> synonyms = new ArrayList<>(2);
                    if (e.overridden() && (!brokerResource || dynamic)) {
                        synonyms.add(new DescribeConfigsSynonym().setName(e.name()).setValue(e.value()).setSource(source));
                    }
                    if (e.defaultValue() != null) {
                        synonyms.add(new DescribeConfigsSynonym().setName(e.name()).setValue(e.defaultValue())
                                .setSource(SOURCE_DEFAULT_CONFIG));
                    }
                    c.setSynonyms(synonyms);
                }
                result.configs().add(c);
            }
        }
        return req.respond(resp);
    }

    /** The throttle rates set on broker resource {@code name}, over those set on the cluster-wide default resource. */
    private List<Entry> brokerThrottles(String name) {
        Map<String, Entry> entries = new TreeMap<>();
        throttles.broker("").forEach((k, v) -> entries.put(k, new Entry(k, v, SOURCE_DYNAMIC_DEFAULT_BROKER_CONFIG, null, true)));
        if (name != null && !name.isEmpty()) {
            throttles.broker(name).forEach((k, v) -> entries.put(k, new Entry(k, v, SOURCE_DYNAMIC_BROKER_CONFIG, null, true)));
        }
        return new ArrayList<>(entries.values());
    }

    private static boolean isBrokerName(ClusterMetadata md, String name) {
        if (name == null || name.isEmpty()) {
            return true; // the cluster-wide default resource
        }
        try {
            int id = Integer.parseInt(name);
            return md.brokers().stream().anyMatch(b -> b.nodeId() == id) || id == md.localNodeId();
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** A topic config change, or the error to report for its resource. */
    private record Change(Map<String, String> set, Set<String> delete, Errors error, String message) {
        static Change error(Errors error, String message) {
            return new Change(null, null, error, message);
        }
    }

    CompletableFuture<Outcome> alterConfigs(KafkaRequest req) {
        AlterConfigsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        AlterConfigsResponseData resp = new AlterConfigsResponseData().setThrottleTimeMs(0);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (AlterConfigsRequestData.AlterConfigsResource r : data.resources()) {
            AlterConfigsResourceResponse result = new AlterConfigsResourceResponse().setResourceType(r.resourceType())
                    .setResourceName(r.resourceName());
            resp.responses().add(result);
            if (md != null && r.resourceType() == BROKER) {
                // AlterConfigs replaces the resource's dynamic configs
                List<Op> ops = new ArrayList<>();
                r.configs().forEach(c -> ops.add(new Op(c.name(), (byte) 0, c.value())));
                alterBroker(md, r.resourceName(), ops, true, data.validateOnly(),
                        (error, message) -> result.setErrorCode(error.code()).setErrorMessage(message));
                continue;
            }
            Change change = resourceCheck(md, r.resourceType(), r.resourceName());
            if (change == null) {
                // AlterConfigs replaces the topic's whole set of overrides
                Map<String, String> set = new HashMap<>();
                for (AlterConfigsRequestData.AlterableConfig c : r.configs()) {
                    if (c.value() != null) {
                        set.put(c.name(), c.value());
                    }
                }
                Set<String> delete = new HashSet<>(md.topic(r.resourceName()).get().configs().keySet());
                delete.removeAll(set.keySet());
                change = new Change(set, delete, Errors.NONE, null);
            }
            apply(md, r.resourceName(), change, true, data.validateOnly(), pending, (error, message) -> {
                result.setErrorCode(error.code()).setErrorMessage(message);
            });
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }

    CompletableFuture<Outcome> incrementalAlterConfigs(KafkaRequest req) {
        IncrementalAlterConfigsRequestData data = req.body();
        ClusterMetadata md = broker.metadata();
        IncrementalAlterConfigsResponseData resp = new IncrementalAlterConfigsResponseData().setThrottleTimeMs(0);
        List<CompletableFuture<Void>> pending = new ArrayList<>();
        for (IncrementalAlterConfigsRequestData.AlterConfigsResource r : data.resources()) {
            IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse result =
                    new IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse()
                            .setResourceType(r.resourceType()).setResourceName(r.resourceName());
            resp.responses().add(result);
            if (md != null && r.resourceType() == BROKER) {
                List<Op> ops = new ArrayList<>();
                r.configs().forEach(c -> ops.add(new Op(c.name(), c.configOperation(), c.value())));
                alterBroker(md, r.resourceName(), ops, false, data.validateOnly(),
                        (error, message) -> result.setErrorCode(error.code()).setErrorMessage(message));
                continue;
            }
            Change change = resourceCheck(md, r.resourceType(), r.resourceName());
            if (change == null) {
                TopicInfo topic = md.topic(r.resourceName()).get();
                change = incremental(md, topic, throttles.topic(topic.id()), r.configs());
            }
            apply(md, r.resourceName(), change, false, data.validateOnly(), pending, (error, message) -> {
                result.setErrorCode(error.code()).setErrorMessage(message);
            });
        }
        return Futures.all(pending).thenApply(v -> req.respond(resp));
    }

    /** One config operation of a request (AlterConfigs' are all SET). */
    private record Op(String name, byte operation, String value) {
    }

    /**
     * A broker resource accepts only the replication throttle rates, which are remembered and have no effect; every
     * other broker config is static. {@code replace}: AlterConfigs, which replaces all of the resource's dynamic configs.
     */
    private void alterBroker(ClusterMetadata md, String resource, List<Op> ops, boolean replace, boolean validateOnly,
            Reporter reporter) {
        if (!isBrokerName(md, resource)) {
            reporter.report(Errors.INVALID_REQUEST, "unknown broker '" + resource + "'");
            return;
        }
        Map<String, String> set = new HashMap<>();
        Set<String> delete = new HashSet<>();
        Set<String> seen = new HashSet<>();
        for (Op op : ops) {
            if (!seen.add(op.name())) {
                reporter.report(Errors.INVALID_REQUEST, "Error due to duplicate config keys: " + op.name());
                return;
            }
            if (!ReplicationThrottles.BROKER_KEYS.contains(op.name())) {
                reporter.report(Errors.INVALID_REQUEST, "broker config '" + op.name() + "' cannot be altered: broker "
                        + "configs are static in this broker; only the replication throttles "
                        + new TreeSet<>(ReplicationThrottles.BROKER_KEYS) + " are accepted (they have no effect)");
                return;
            }
            switch (op.operation()) {
                case 0: { // SET
                    if (op.value() == null) {
                        reporter.report(Errors.INVALID_REQUEST, "Null value not supported for : " + op.name());
                        return;
                    }
                    String invalid = ReplicationThrottles.checkBroker(op.name(), op.value());
                    if (invalid != null) {
                        reporter.report(Errors.INVALID_CONFIG, invalid);
                        return;
                    }
                    set.put(op.name(), op.value().trim());
                    break;
                }
                case 1: // DELETE
                    delete.add(op.name());
                    break;
                default:
                    reporter.report(Errors.INVALID_REQUEST, "Config value append/subtract is not allowed for config key: "
                            + op.name() + " (not a list config)");
                    return;
            }
        }
        if (!validateOnly) {
            throttles.alterBroker(resource, set, delete, replace);
        }
        reporter.report(Errors.NONE, null);
    }

    private static Change incremental(ClusterMetadata md, TopicInfo topic, Map<String, String> localThrottles,
            IncrementalAlterConfigsRequestData.AlterableConfigCollection configs) {
        Map<String, String> set = new HashMap<>();
        Set<String> delete = new HashSet<>();
        Set<String> seen = new HashSet<>();
        Map<String, String> defaults = md.topicConfigDefaults();
        for (IncrementalAlterConfigsRequestData.AlterableConfig c : configs) {
            if (!seen.add(c.name())) {
                return Change.error(Errors.INVALID_REQUEST, "Error due to duplicate config keys: " + c.name());
            }
            switch (c.configOperation()) {
                case 0: // SET
                    if (c.value() == null) {
                        return Change.error(Errors.INVALID_REQUEST, "Null value not supported for : " + c.name());
                    }
                    set.put(c.name(), c.value());
                    break;
                case 1: // DELETE
                    delete.add(c.name());
                    break;
                case 2: // APPEND
                case 3: { // SUBTRACT
                    if (!LIST_CONFIGS.contains(c.name())) {
                        return Change.error(Errors.INVALID_REQUEST, "Config value append/subtract is not allowed for config key: "
                                + c.name() + " (not a list config)");
                    }
                    String current = topic.configs().getOrDefault(c.name(),
                            localThrottles.getOrDefault(c.name(), defaults.getOrDefault(c.name(), "")));
                    LinkedHashSet<String> values = split(current);
                    List<String> operand = new ArrayList<>(split(c.value() == null ? "" : c.value()));
                    if (c.configOperation() == 2) {
                        values.addAll(operand);
                    } else {
                        operand.forEach(values::remove);
                    }
                    set.put(c.name(), String.join(",", values));
                    break;
                }
                default:
                    return Change.error(Errors.INVALID_REQUEST, "unknown config operation " + c.configOperation());
            }
        }
        return new Change(set, delete, Errors.NONE, null);
    }

    private static LinkedHashSet<String> split(String list) {
        return Arrays.stream(list.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                .collect(Collectors.toCollection(LinkedHashSet::new));
    }

    /** Checks the resource; {@code null} means an existing topic whose change may be computed. */
    private static Change resourceCheck(ClusterMetadata md, byte type, String name) {
        if (md == null) {
            return Change.error(Errors.NOT_CONTROLLER, "the cluster metadata is not available right now");
        }
        if (type != TOPIC) {
            return Change.error(Errors.INVALID_REQUEST, "unsupported resource type " + type);
        }
        if (md.topic(name).isEmpty()) {
            return Change.error(Errors.UNKNOWN_TOPIC_OR_PARTITION, "The topic '" + name + "' does not exist.");
        }
        return null;
    }

    private interface Reporter {
        void report(Errors error, String message);
    }

    /**
     * Applies a topic config change. The replication throttle lists go to {@link ReplicationThrottles} unless the
     * provider knows them as topic configs; {@code replaceLocal}: AlterConfigs, which replaces all of them too.
     */
    private void apply(ClusterMetadata md, String topic, Change change, boolean replaceLocal, boolean validateOnly,
            List<CompletableFuture<Void>> pending, Reporter reporter) {
        if (change.error() != Errors.NONE) {
            reporter.report(change.error(), change.message());
            return;
        }
        Map<String, String> defaults = md.topicConfigDefaults();
        Map<String, String> set = new HashMap<>(change.set());
        Set<String> delete = new HashSet<>(change.delete());
        Map<String, String> localSet = new HashMap<>();
        Set<String> localDelete = new HashSet<>();
        for (String name : ReplicationThrottles.TOPIC_KEYS) {
            if (defaults.containsKey(name)) {
                continue;
            }
            if (set.containsKey(name)) {
                localSet.put(name, set.remove(name));
            }
            if (delete.remove(name)) {
                localDelete.add(name);
            }
        }
        for (Map.Entry<String, String> e : localSet.entrySet()) {
            String invalid = ReplicationThrottles.checkTopic(e.getKey(), e.getValue());
            if (invalid != null) {
                reporter.report(Errors.INVALID_CONFIG, invalid);
                return;
            }
        }
        for (String name : set.keySet()) {
            if (!defaults.containsKey(name)) {
                reporter.report(Errors.INVALID_CONFIG, "Unknown topic config name: " + name);
                return;
            }
        }
        if (validateOnly) {
            // value checks happen in the metadata provider when the change is applied
            reporter.report(Errors.NONE, null);
            return;
        }
        TopicInfo info = md.topic(topic).orElse(null);
        Runnable local = () -> {
            boolean had = info != null && !throttles.topic(info.id()).isEmpty();
            if (info != null && (!localSet.isEmpty() || !localDelete.isEmpty() || (replaceLocal && had))) {
                throttles.alterTopic(topic, info.id(), localSet, localDelete, replaceLocal);
            }
        };
        if (set.isEmpty() && delete.isEmpty()) {
            local.run();
            reporter.report(Errors.NONE, null);
            return;
        }
        pending.add(Futures.handle(md.alterTopicConfigs(topic, set, delete), (t, failure) -> {
            if (failure == null) {
                local.run();
                LOG.info("altered configs of topic '{}': set {}, removed {}", topic, set, delete);
                reporter.report(Errors.NONE, null);
            } else {
                reporter.report(KafkaErrors.of(failure, KafkaErrors.Context.ADMIN), KafkaErrors.message(failure));
            }
        }));
    }
}
