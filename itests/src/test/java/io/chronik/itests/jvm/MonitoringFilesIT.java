package io.chronik.itests.jvm;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.Rule;
import org.junit.Test;
import org.yaml.snakeyaml.Yaml;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Grafana dashboard and the Prometheus alert rules ({@code docs/monitoring/}, shipped in the distribution's
 * {@code monitoring/}) cannot rot: both are parsed (JSON, YAML), every metric any of their queries names is collected,
 * and each must be exported by every node of a running 3-node cluster (after some produce and fetch traffic, with
 * snapshots archived). A renamed or removed metric fails this test instead of leaving an empty panel or an alert that
 * never fires.
 */
public class MonitoringFilesIT {
    static final Path DOCS = Path.of(System.getProperty("chronik.docs", "../docs/monitoring")).toAbsolutePath().normalize();
    static final Path DIST = Path.of(System.getProperty("chronik.dir", "../distribution/target/chronik"), "monitoring")
            .toAbsolutePath().normalize();
    static final String DASHBOARD = "chronik-dashboard.json";
    static final String ALERTS = "chronik-alerts.yml";

    /** A metric name in a PromQL expression: ours and the JVM's (hotspot) and process collectors'. */
    private static final Pattern METRIC = Pattern.compile("\\b((?:chronik|jvm|process)_[a-zA-Z0-9_:]*)");
    private static final Pattern TYPE_LINE = Pattern.compile("^# TYPE (\\S+) (\\S+)");
    private static final Pattern SAMPLE_LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");

    @Rule
    public final JvmCluster cluster = new JvmCluster(3).flag("snapshot-enabled", "true");

    @Test
    public void everyMetricTheDashboardAndTheAlertsQueryIsExportedByEveryNode() throws Exception {
        Map<String, Set<String>> queried = new TreeMap<>(); // metric -> where it is queried
        for (String expr : dashboardQueries(DOCS.resolve(DASHBOARD))) {
            metricsOf(expr).forEach(m -> queried.computeIfAbsent(m, k -> new TreeSet<>()).add("dashboard"));
        }
        List<String> alertExprs = alertQueries(DOCS.resolve(ALERTS));
        assertTrue("the alert rules hold expressions", alertExprs.size() >= 8);
        for (String expr : alertExprs) {
            metricsOf(expr).forEach(m -> queried.computeIfAbsent(m, k -> new TreeSet<>()).add("alerts"));
        }
        assertTrue("the dashboard queries the Raft metrics: " + queried.keySet(),
                queried.keySet().containsAll(List.of("chronik_raft_current_term", "chronik_raft_commit_index",
                        "chronik_raft_leader_elections_total", "chronik_kafka_request_duration_seconds_bucket")));
        for (String file : List.of(DASHBOARD, ALERTS)) {
            assertArrayEquals("the distribution ships docs/monitoring/" + file, Files.readAllBytes(DOCS.resolve(file)),
                    Files.readAllBytes(DIST.resolve(file)));
        }

        cluster.start();
        traffic();
        List<String> missing = new ArrayList<>();
        for (int id : cluster.ids()) {
            Set<String> exported = exportedNames(cluster.scrape(id));
            for (Map.Entry<String, Set<String>> q : queried.entrySet()) {
                if (!exported.contains(q.getKey())) {
                    missing.add(q.getKey() + " (queried in " + q.getValue() + ") on node " + id);
                }
            }
        }
        assertTrue("metrics queried but not exported:\n" + String.join("\n", missing), missing.isEmpty());
        System.out.printf("the dashboard and the alert rules query %d metrics, all exported by the 3 nodes%n",
                queried.size());
    }

    /** Creates a replicated topic, produces and consumes through real clients, so that request metrics have samples. */
    private void traffic() throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic("watched", 3, (short) 3))).all().get(20, TimeUnit.SECONDS);
        }
        cluster.awaitFullyReplicated("watched", 20_000);
        try (KafkaProducer<byte[], byte[]> producer = cluster.producer()) {
            for (int i = 0; i < 100; i++) {
                producer.send(new ProducerRecord<>("watched", ("v" + i).getBytes()));
            }
            producer.flush();
        }
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrap(),
                ConsumerConfig.GROUP_ID_CONFIG, "watchers", ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("watched")); // group APIs too (FindCoordinator, JoinGroup, SyncGroup...)
            int seen = 0;
            long deadline = System.currentTimeMillis() + 20_000;
            while (seen < 100 && System.currentTimeMillis() < deadline) {
                seen += consumer.poll(Duration.ofMillis(200)).count();
            }
            assertTrue("consumed what was produced: " + seen, seen >= 100);
            consumer.commitSync();
        }
    }

    /** Every PromQL expression of the dashboard: the panels' targets and the template variables' queries. */
    static List<String> dashboardQueries(Path file) throws Exception {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        List<String> exprs = new ArrayList<>();
        collect(root.path("panels"), exprs);
        for (JsonNode v : root.path("templating").path("list")) {
            if ("query".equals(v.path("type").asText())) {
                exprs.add(v.path("query").isTextual() ? v.path("query").asText() : v.path("query").path("query").asText());
            }
        }
        assertFalse("the dashboard has queries", exprs.isEmpty());
        return exprs;
    }

    private static void collect(JsonNode panels, List<String> exprs) {
        for (JsonNode p : panels) {
            for (JsonNode t : p.path("targets")) {
                if (t.hasNonNull("expr")) {
                    exprs.add(t.get("expr").asText());
                }
            }
            collect(p.path("panels"), exprs); // collapsed rows hold their panels
        }
    }

    /** Every {@code expr} of the alert rule groups. */
    @SuppressWarnings("unchecked")
    static List<String> alertQueries(Path file) throws Exception {
        Map<String, Object> root = new Yaml().load(Files.readString(file));
        List<String> exprs = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) root.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                assertTrue("every rule names its alert: " + rule, rule.get("alert") instanceof String);
                exprs.add(String.valueOf(rule.get("expr")));
            }
        }
        return exprs;
    }

    static Set<String> metricsOf(String expr) {
        Set<String> names = new TreeSet<>();
        Matcher m = METRIC.matcher(expr);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /**
     * The sample names a Prometheus server stores from one scrape: every sample's name, and for every declared family
     * the names its type implies (a family declared without samples yet still counts: it is exported).
     */
    static Set<String> exportedNames(String exposition) {
        Set<String> names = new TreeSet<>();
        for (String line : exposition.split("\n")) {
            Matcher t = TYPE_LINE.matcher(line);
            if (t.find()) {
                String name = t.group(1);
                switch (t.group(2)) {
                    case "counter" -> names.add(name.endsWith("_total") ? name : name + "_total");
                    case "histogram" -> names.addAll(List.of(name + "_bucket", name + "_sum", name + "_count"));
                    case "summary" -> names.addAll(List.of(name, name + "_sum", name + "_count"));
                    default -> names.add(name);
                }
                continue;
            }
            Matcher s = SAMPLE_LINE.matcher(line);
            if (!line.startsWith("#") && s.find()) {
                names.add(s.group(1));
            }
        }
        return names;
    }
}
