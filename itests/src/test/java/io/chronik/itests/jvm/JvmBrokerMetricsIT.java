package io.chronik.itests.jvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.message.ProduceResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.FixMethodOrder;
import org.junit.Test;
import org.junit.runners.MethodSorters;

/**
 * The broker metrics of the Kafka protocol bundle on an in-JVM cluster of three nodes (docs/operations.md, "Broker
 * metrics"), read from each node's Prometheus endpoint while real Kafka clients produce and consume: requests and
 * their errors by API, bytes and records per topic, and the partition gauges as a node goes away. The tests share
 * the cluster and run in name order: the last one kills a node.
 */
@FixMethodOrder(MethodSorters.NAME_ASCENDING)
public class JvmBrokerMetricsIT {
    @ClassRule
    public static final JvmCluster cluster = new JvmCluster(3);

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)");

    @BeforeClass
    public static void startCluster() throws Exception {
        cluster.start();
    }

    /**
     * The sum of node {@code id}'s samples of {@code name} (exposition name, e.g. with {@code _total}) labelled with
     * this node and with every {@code label="value"} pair given ({@code "api", "Produce"}); 0 when there is none.
     */
    private static double metric(int id, String name, String... labels) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + cluster.node(id).metricsPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        double sum = 0;
        outer:
        for (String line : r.body().split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.find() || !m.group(1).equals(name)) {
                continue;
            }
            String l = m.group(3) == null ? "" : m.group(3);
            if (!l.contains("node_id=\"" + id + "\"")) {
                continue;
            }
            for (int i = 0; i < labels.length; i += 2) {
                if (!l.contains(labels[i] + "=\"" + labels[i + 1] + "\"")) {
                    continue outer;
                }
            }
            sum += Double.parseDouble(m.group(4));
        }
        return sum;
    }

    private static double sumOverRunning(String name, String... labels) throws Exception {
        double sum = 0;
        for (int id : cluster.running()) {
            sum += metric(id, name, labels);
        }
        return sum;
    }

    private static MetadataResponseData.MetadataResponsePartition partition(int id, String topic, int p) throws Exception {
        return cluster.metadata(id, topic).topics().find(topic).partitions().get(p);
    }

    /**
     * Produce accepted on the leader counts the records and bytes of its topic there, once; a consumer's fetches count
     * bytes out on the node that served them, the leader or (KIP-392) a follower in the consumer's rack; every request
     * is counted by API with its latency, and a produce to a follower counts NOT_LEADER_OR_FOLLOWER.
     */
    @Test
    public void a_requestsErrorsAndTrafficPerTopic() throws Exception {
        String topic = "metered";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get(20, TimeUnit.SECONDS);
        }
        cluster.awaitFullyReplicated(topic, 20_000);
        int leader = cluster.leader(1, topic, 0);
        int follower = partition(1, topic, 0).replicaNodes().stream().filter(id -> id != leader).findFirst().orElseThrow();

        double produceRequestsBefore = metric(leader, "chronik_kafka_requests_total", "api", "Produce");
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            List<Future<?>> acks = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                acks.add(producer.send(new ProducerRecord<>(topic, 0, null, new byte[100])));
            }
            for (Future<?> f : acks) {
                f.get(20, TimeUnit.SECONDS);
            }
        }
        String[] thisTopic = {"topic", topic};
        assertEquals("the leader counted every record once", 100.0, metric(leader, "chronik_topic_records_in_total", thisTopic), 0);
        assertEquals("only the leader counts records in", 100.0, sumOverRunning("chronik_topic_records_in_total", thisTopic), 0);
        double bytesIn = metric(leader, "chronik_topic_bytes_in_total", thisTopic);
        assertTrue("bytes in " + bytesIn + " cover the 100 values of 100 bytes", bytesIn > 100 * 100);
        double produceRequests = metric(leader, "chronik_kafka_requests_total", "api", "Produce") - produceRequestsBefore;
        assertTrue("the leader counted produce requests: " + produceRequests, produceRequests >= 1);
        assertTrue("and observed their latency",
                metric(leader, "chronik_kafka_request_duration_seconds_count", "api", "Produce") >= produceRequests);
        assertTrue("clients asked for metadata", sumOverRunning("chronik_kafka_requests_total", "api", "Metadata") > 0);
        assertTrue("and API versions", sumOverRunning("chronik_kafka_requests_total", "api", "ApiVersions") > 0);

        double refusedBefore = metric(follower, "chronik_kafka_request_errors_total", "api", "Produce", "error",
                "NOT_LEADER_OR_FOLLOWER");
        ProduceResponseData refused = RawKafka.produce(cluster.kafkaPort(follower), topic, 0, 5000, "to-a-follower");
        assertEquals(Errors.NOT_LEADER_OR_FOLLOWER, Errors.forCode(RawKafka.only(refused).errorCode()));
        assertEquals("the follower counted the refusal", 1.0, metric(follower, "chronik_kafka_request_errors_total", "api",
                "Produce", "error", "NOT_LEADER_OR_FOLLOWER") - refusedBefore, 0);
        assertEquals("and no record", 0.0, metric(follower, "chronik_topic_records_in_total", thisTopic), 0);

        TopicPartition tp = new TopicPartition(topic, 0);
        // a consumer without a rack reads from the leader, one in the follower's rack from the follower
        for (String rack : new String[] {null, "r" + follower}) {
            int server = rack == null ? leader : follower;
            double outBefore = metric(server, "chronik_topic_bytes_out_total", thisTopic);
            try (KafkaConsumer<byte[], byte[]> consumer = cluster.consumer(cluster.bootstrap(), rack)) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                int read = 0;
                long deadline = System.currentTimeMillis() + 15_000;
                while (read < 100 && System.currentTimeMillis() < deadline) {
                    read += consumer.poll(Duration.ofMillis(100)).count();
                }
                assertEquals(100, read);
            }
            double out = metric(server, "chronik_topic_bytes_out_total", thisTopic) - outBefore;
            assertTrue("node " + server + " (" + (rack == null ? "leader" : "follower in the consumer's rack")
                    + ") counted the bytes it served: " + out + " of " + bytesIn, out >= bytesIn);
        }
        assertTrue("the consumers' fetches were counted", sumOverRunning("chronik_kafka_requests_total", "api", "Fetch") > 0);
    }

    /**
     * The partition gauges: every node counts the replicas it hosts and the partitions it leads, exactly one node is the
     * controller, and nothing is under-replicated. Once a node is killed, the leaders of the partitions it replicated
     * count them as under-replicated (but not under the minimum ISR: two of three replicas are still a Raft majority),
     * and the controller counts the fenced broker and the partition that only the killed node held as offline; the
     * other nodes report 0 for both.
     */
    @Test
    public void b_partitionGaugesFollowTheClusterState() throws Exception {
        String topic = "gauged";
        int victim = 3;
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(
                    new NewTopic(topic, 3, (short) 3),
                    new NewTopic("lonely", Map.of(0, List.of(victim))))).all().get(20, TimeUnit.SECONDS);
        }
        cluster.awaitFullyReplicated(topic, 20_000);
        cluster.awaitFullyReplicated("lonely", 20_000);

        JvmCluster.await("every node counts the replicas it hosts and all partitions are led once", 20_000, () -> {
            MetadataResponseData all = cluster.metadata(1);
            int partitions = 0;
            for (MetadataResponseData.MetadataResponseTopic t : all.topics()) {
                partitions += t.partitions().size();
            }
            double leaders = 0;
            for (int id : cluster.running()) {
                int hosted = 0;
                for (MetadataResponseData.MetadataResponseTopic t : cluster.metadata(id).topics()) {
                    for (MetadataResponseData.MetadataResponsePartition p : t.partitions()) {
                        hosted += p.replicaNodes().contains(id) ? 1 : 0;
                    }
                }
                if (metric(id, "chronik_partitions") != hosted || metric(id, "chronik_under_replicated_partitions") != 0
                        || metric(id, "chronik_under_min_isr_partitions") != 0 || metric(id, "chronik_offline_partitions") != 0
                        || metric(id, "chronik_fenced_brokers") != 0) {
                    return false;
                }
                leaders += metric(id, "chronik_partition_leaders");
            }
            return leaders == partitions;
        });
        int controller = cluster.metadata(1).controllerId();
        for (int id : cluster.running()) {
            assertEquals("node " + id + " as controller (the controller is " + controller + ")", id == controller ? 1.0 : 0.0,
                    metric(id, "chronik_controller"), 0);
        }
        if (controller == victim) {
            victim = cluster.running().stream().filter(id -> id != controller).findFirst().orElseThrow();
            // "lonely" is on node 3, which stays: its partition is not expected offline below
        }
        final int killed = victim;
        boolean lonelyOffline = killed == 3;

        cluster.kill(killed);
        JvmCluster.await("the leaders of " + topic + " count their partitions under-replicated, the controller counts "
                + "node " + killed + " fenced", 20_000, () -> {
            int ctl = -1;
            for (int id : cluster.running()) {
                if (metric(id, "chronik_controller") == 1) {
                    ctl = id;
                }
            }
            if (ctl < 0 || metric(ctl, "chronik_fenced_brokers") != 1
                    || (lonelyOffline && metric(ctl, "chronik_offline_partitions") < 1)) {
                return false;
            }
            for (int p = 0; p < 3; p++) {
                int leader = partition(ctl, topic, p).leaderId();
                if (leader < 0 || leader == killed || metric(leader, "chronik_under_replicated_partitions") < 1) {
                    return false;
                }
            }
            return true;
        });
        StringBuilder seen = new StringBuilder("after killing node " + killed + " (controller was " + controller + "):");
        for (int id : cluster.running()) {
            seen.append(String.format(" node %d {controller %.0f, partitions %.0f, leaders %.0f, under-replicated %.0f, "
                    + "under-min-isr %.0f, offline %.0f, fenced brokers %.0f}", id, metric(id, "chronik_controller"),
                    metric(id, "chronik_partitions"), metric(id, "chronik_partition_leaders"),
                    metric(id, "chronik_under_replicated_partitions"), metric(id, "chronik_under_min_isr_partitions"),
                    metric(id, "chronik_offline_partitions"), metric(id, "chronik_fenced_brokers")));
        }
        System.out.println(seen);
        for (int id : cluster.running()) {
            assertEquals("node " + id + ": two of three replicas are still a majority", 0.0,
                    metric(id, "chronik_under_min_isr_partitions"), 0);
            if (metric(id, "chronik_controller") == 0) {
                assertEquals("node " + id + " is not the controller: no offline count", 0.0,
                        metric(id, "chronik_offline_partitions"), 0);
                assertEquals("nor fenced brokers", 0.0, metric(id, "chronik_fenced_brokers"), 0);
            }
        }
    }
}
