package io.chronik.itests;

import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * What the follower-fetch tests share (three processes, node {@code n} in rack {@code rn}): topics whose partitions
 * node 1 leads with every replica in sync, clients, which node a Java consumer read its bytes from, and the node-side
 * proof on /metrics. Blocking; call from the test thread.
 */
final class FollowerFetchSupport {
    /** Partitions fetched from a node as a follower (by a consumer sent there with a preferred read replica). */
    static final String FOLLOWER_FETCH_METRIC = "chronik_fetch_follower_partitions_total";

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)");

    private FollowerFetchSupport() {
    }

    /** The ProcessCluster node flags of these tests: node {@code n} in rack {@code rn}. */
    static List<String> rackOf(int id) {
        return List.of("--rack", "r" + id);
    }

    /**
     * Creates {@code topic} with {@code partitions} partitions, each on nodes 1, 2, 3 in that order, and waits until
     * every node's Metadata shows node 1 leading each with all three in sync (asking for a preferred election if
     * another node took the lead). First waits until every node lists every broker: a node that started may not have
     * applied the others' registrations yet, and a topic created then could not be placed on them.
     */
    static List<TopicPartition> createLedByNode1(ProcessCluster cluster, String topic, int partitions) throws Exception {
        List<Integer> ids = cluster.ids();
        ProcessCluster.await("every node lists brokers " + ids, 60_000, () -> {
            for (int id : ids) {
                if (!NodeRequests.brokers(NodeRequests.metadata(cluster.kafkaPort(id))).equals(ids)) {
                    return false;
                }
            }
            return true;
        });
        List<TopicPartition> tps = IntStream.range(0, partitions).mapToObj(p -> new TopicPartition(topic, p)).toList();
        Map<Integer, List<Integer>> assignment = new HashMap<>();
        tps.forEach(tp -> assignment.put(tp.partition(), List.of(1, 2, 3)));
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, assignment))).all().get(30, TimeUnit.SECONDS);
            Map<Integer, String> seen = new HashMap<>();
            ProcessCluster.await("every node shows node 1 leading " + topic + " with three in-sync replicas", 60_000, () -> {
                boolean ok = true;
                for (int id : ids) {
                    MetadataResponseData m = NodeRequests.metadata(cluster.kafkaPort(id), topic);
                    for (MetadataResponseData.MetadataResponsePartition p : m.topics().find(topic).partitions()) {
                        seen.put(id, "leader " + p.leaderId() + " isr " + p.isrNodes());
                        if (p.leaderId() != 1 || p.isrNodes().size() != 3) {
                            ok = false;
                            if (p.leaderId() >= 0 && p.isrNodes().size() == 3) {
                                admin.electLeaders(ElectionType.PREFERRED, Set.of(new TopicPartition(topic, p.partitionIndex())))
                                        .all().get(10, TimeUnit.SECONDS);
                            }
                        }
                    }
                }
                return ok;
            }, () -> "last seen " + seen);
        }
        return tps;
    }

    /** An idempotent producer, {@code acks=all}. */
    static KafkaProducer<byte[], byte[]> producer(ProcessCluster cluster) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** A consumer outside any group in {@code rack}, not committing. */
    static KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String rack) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.CLIENT_RACK_CONFIG, rack);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        // a node that stops answering costs this long before the consumer turns to another
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "8000");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Bytes {@code consumer} received from node {@code id} (its per-node network metric; readable from any thread). */
    static double incomingBytes(KafkaConsumer<?, ?> consumer, int id) {
        for (Map.Entry<MetricName, ? extends Metric> e : consumer.metrics().entrySet()) {
            MetricName n = e.getKey();
            if (n.group().equals("consumer-node-metrics") && n.name().equals("incoming-byte-total")
                    && ("node-" + id).equals(n.tags().get("node-id"))) {
                return (Double) e.getValue().metricValue();
            }
        }
        return 0;
    }

    /**
     * The sum of the samples of counter {@code name} on node {@code id}'s /metrics (those with a {@code node_id}
     * label only if it names this node), or empty when the node exports no such counter. At most 10 s.
     */
    static OptionalDouble counter(ProcessCluster cluster, int id, String name) throws Exception {
        HttpResponse<String> r = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + cluster.metricsPort(id) + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue("node " + id + " /metrics answered " + r.statusCode(), r.statusCode() == 200);
        boolean found = false;
        double sum = 0;
        for (String line : r.body().split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find() || !m.group(1).equals(name)) {
                continue;
            }
            String labels = m.group(3) == null ? "" : m.group(3);
            if (labels.contains("node_id=") && !labels.contains("node_id=\"" + id + "\"")) {
                continue;
            }
            found = true;
            sum += Double.parseDouble(m.group(4));
        }
        return found ? OptionalDouble.of(sum) : OptionalDouble.empty();
    }

    /** Node {@code id}'s {@link #FOLLOWER_FETCH_METRIC}; fails if the node does not export it. */
    static double followerFetches(ProcessCluster cluster, int id) throws Exception {
        OptionalDouble v = counter(cluster, id, FOLLOWER_FETCH_METRIC);
        assertTrue("node " + id + " exports " + FOLLOWER_FETCH_METRIC, v.isPresent());
        return v.getAsDouble();
    }

    /** Asserts that node {@code id} served partitions as a follower since its {@link #followerFetches} was {@code before}. */
    static void assertFollowerFetchesGrew(ProcessCluster cluster, int id, double before) throws Exception {
        double after = followerFetches(cluster, id);
        System.out.println("node " + id + " " + FOLLOWER_FETCH_METRIC + " went from " + before + " to " + after);
        assertTrue("node " + id + " " + FOLLOWER_FETCH_METRIC + " went from " + before + " to " + after, after > before);
    }
}
