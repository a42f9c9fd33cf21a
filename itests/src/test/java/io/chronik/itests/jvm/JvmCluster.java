package io.chronik.itests.jvm;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.rules.TestRule;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.wiring.BundleWire;
import org.osgi.framework.wiring.BundleWiring;

import io.chronik.itests.Await;
import io.chronik.launcher.EmbeddedNode;
import io.chronik.transport.memory.Faults;
import io.chronik.transport.memory.MemoryNetwork;

/**
 * A whole Chronik cluster inside the test's JVM: N nodes, each one OSGi framework started exactly as
 * {@code bin/chronik start} starts a node ({@link EmbeddedNode}: the distribution's {@code bundle/} and
 * {@code conf/config}), each with its own data directory and loopback Kafka, Raft and metrics ports, talking Raft
 * over the memory transport through the one JVM-wide {@link MemoryNetwork#shared()} (or over gRPC on loopback with
 * {@code -Dchronik.jvm.transport=grpc}). Real Kafka clients talk to the nodes' Kafka ports. See
 * docs/in-jvm-cluster.md.
 *
 * <p>Use it as a JUnit rule ({@code @Rule} for a cluster per test, {@code @ClassRule} for one per class) and call
 * {@link #start}. When the rule's statement ends every node is stopped, the network healed and the directories
 * deleted (kept, and named on stderr, when the test failed).
 *
 * <p>A node's "kill" ({@link #kill}) cuts it off the network first and then stops its framework, so that the others
 * see it vanish as a crashed node (no leadership handed over, no last messages); its data directory stays, and
 * {@link #restart} starts it again on it. Not thread-safe: call it from the test thread (the network and client
 * helpers may be used from any thread).
 */
public final class JvmCluster implements TestRule {
    /** The Raft transport the nodes use. */
    public enum Transport {
        MEMORY, GRPC
    }

    /** The system property choosing the transport ({@code memory} by default, {@code grpc}). */
    public static final String TRANSPORT_PROPERTY = "chronik.jvm.transport";

    private static final long READY_TIMEOUT_MS = 60_000;
    /** The memory network's package, exported by every node's system bundle so that all share the one network. */
    private static final String NETWORK_PACKAGE = "io.chronik.transport.memory;version=1.0.0";

    private final int size;
    private final Transport transport;
    private final Map<String, String> flags = new LinkedHashMap<>();
    private final Map<String, String> raftConfig = new LinkedHashMap<>();
    private final Map<Integer, JvmNode> nodes = new TreeMap<>();
    private Path home;
    private Path root;
    private long startMillis;

    /** One node: fixed ports and data directory; its running {@link EmbeddedNode}, if any. */
    public static final class JvmNode {
        final int id;
        final int kafkaPort = freePort();
        final int raftPort = freePort();
        final int metricsPort = freePort();
        final Path dataDir;
        volatile EmbeddedNode running;
        /** The node while {@link JvmCluster#startNode} waits for it to become ready. */
        volatile EmbeddedNode starting;
        /** How long its last start took (framework start to ready), ms. */
        volatile long startedInMillis;

        JvmNode(int id, Path dataDir) {
            this.id = id;
            this.dataDir = dataDir;
        }

        /** The Raft address ({@code raft.addr}), which is also its address in the memory network. */
        public String raftAddress() {
            return "127.0.0.1:" + raftPort;
        }

        public int kafkaPort() {
            return kafkaPort;
        }

        public Path dataDir() {
            return dataDir;
        }

        public boolean isRunning() {
            return running != null;
        }

        public EmbeddedNode embedded() {
            return running;
        }

        /**
         * Whether the node's consensus provider has registered its {@code ClusterMetadata} service (the metadata
         * group has a leader and this node is registered), also while it is still starting. Read by service name
         * through the framework's registry: the test's class path has its own copy of the api package.
         */
        public boolean hasClusterMetadata() {
            EmbeddedNode e = running != null ? running : starting;
            org.osgi.framework.BundleContext c = e == null ? null : e.bundleContext();
            try {
                return c != null && c.getAllServiceReferences("io.chronik.api.consensus.ClusterMetadata", null) != null;
            } catch (org.osgi.framework.InvalidSyntaxException | IllegalStateException ex) {
                return false;
            }
        }

        public long startedInMillis() {
            return startedInMillis;
        }
    }

    /** {@code size} nodes, ids 1 to {@code size}, all voters of the metadata group. */
    public JvmCluster(int size) {
        this.size = size;
        this.transport = Transport.valueOf(System.getProperty(TRANSPORT_PROPERTY, "memory").toUpperCase());
        // as ProcessCluster: acknowledged = written to the OS on a majority (survives a process crash)
        flags.put("flush-policy", "os");
        // fencing and ISR checks in seconds, not tens of seconds (heartbeats every 750 ms, ISR checked every 375 ms)
        flags.put("session-timeout-ms", "3000");
        flags.put("snapshot-enabled", "false");
    }

    /** A flag every node starts with (flag name without dashes, as {@code bin/chronik start --flag value}). */
    public JvmCluster flag(String flag, String value) {
        flags.put(flag, value);
        return this;
    }

    /** A setting added to every node's {@code conf/config/io.chronik.raft.cfg} (e.g. election timeouts). */
    public JvmCluster raftConfig(String key, String value) {
        raftConfig.put(key, value);
        return this;
    }

    public Transport transport() {
        return transport;
    }

    public boolean isMemory() {
        return transport == Transport.MEMORY;
    }

    /** The JVM-wide network the nodes' memory transports share. */
    public MemoryNetwork network() {
        return MemoryNetwork.shared();
    }

    @Override
    public Statement apply(Statement base, Description description) {
        return new Statement() {
            @Override
            public void evaluate() throws Throwable {
                boolean passed = false;
                try {
                    base.evaluate();
                    passed = true;
                } finally {
                    close(passed, description.getDisplayName());
                }
            }
        };
    }

    /** Creates the cluster's home and nodes without starting any (see {@link #startNodes}). */
    public JvmCluster prepare() throws IOException {
        if (home != null) {
            return this;
        }
        root = Files.createTempDirectory("chronik-jvm-");
        home = createHome(root.resolve("home"));
        for (int id = 1; id <= size; id++) {
            nodes.put(id, new JvmNode(id, Files.createDirectories(root.resolve("node-" + id))));
        }
        return this;
    }

    /**
     * Starts every node in parallel and returns once each is ready (its Kafka listener open) and every node's
     * Metadata lists every broker.
     */
    public JvmCluster start() throws Exception {
        prepare();
        startMillis = System.currentTimeMillis();
        startNodes(ids());
        awaitBrokersEverywhere(ids());
        return this;
    }

    /** When {@link #start} began (epoch ms). */
    public long startMillis() {
        return startMillis;
    }

    /** Starts the given nodes in parallel; returns once each is ready or throws the first failure. */
    public void startNodes(Collection<Integer> ids) throws Exception {
        prepare();
        ExecutorService pool = Executors.newFixedThreadPool(ids.size());
        try {
            List<Future<?>> starts = new ArrayList<>();
            for (int id : ids) {
                starts.add(pool.submit(() -> {
                    startNode(id, READY_TIMEOUT_MS);
                    return null;
                }));
            }
            for (Future<?> f : starts) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : e;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Starts one node (not running) and returns once it is ready, or throws {@link EmbeddedNode.StartFailure}. */
    public EmbeddedNode startNode(int id, long readyTimeoutMillis) throws EmbeddedNode.StartFailure {
        JvmNode n = node(id);
        if (n.running != null) {
            throw new IllegalStateException("node " + id + " is running");
        }
        long t0 = System.nanoTime();
        EmbeddedNode e = EmbeddedNode.create(home, nodeFlags(n), Map.of(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA,
                NETWORK_PACKAGE));
        n.starting = e;
        try {
            e.start(readyTimeoutMillis);
        } finally {
            n.starting = null;
        }
        n.startedInMillis = (System.nanoTime() - t0) / 1_000_000;
        n.running = e;
        return e;
    }

    private Map<String, String> nodeFlags(JvmNode n) {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("node-id", Integer.toString(n.id));
        f.put("peers", nodes.values().stream().map(x -> x.id + "@" + x.raftAddress()).collect(Collectors.joining(",")));
        f.put("raft-addr", n.raftAddress());
        f.put("kafka-addr", "127.0.0.1:" + n.kafkaPort);
        f.put("advertised-addr", "127.0.0.1:" + n.kafkaPort);
        f.put("metrics-addr", "127.0.0.1:" + n.metricsPort);
        f.put("data-dir", n.dataDir.toString());
        f.put("rack", "r" + n.id);
        f.putAll(flags);
        return f;
    }

    /**
     * The cluster's distribution directory: {@code bundle/} links to the built distribution's, {@code conf/} is a copy
     * whose {@code io.chronik.raft.cfg} chooses the transport and carries {@link #raftConfig} settings.
     */
    private Path createHome(Path dir) throws IOException {
        Path dist = Path.of(System.getProperty("chronik.dir", "../distribution/target/chronik")).toAbsolutePath().normalize();
        if (!Files.isDirectory(dist.resolve("bundle"))) {
            throw new IllegalStateException("no distribution at " + dist + " (run mvn package first)");
        }
        Files.createDirectories(dir);
        Files.createSymbolicLink(dir.resolve("bundle"), dist.resolve("bundle"));
        Files.createDirectories(dir.resolve("deploy"));
        try (Stream<Path> files = Files.walk(dist.resolve("conf"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = dir.resolve(dist.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        Path raftCfg = dir.resolve("conf/config/io.chronik.raft.cfg");
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(raftCfg)) {
            String key = line.contains("=") ? line.substring(0, line.indexOf('=')).trim() : "";
            if (!key.equals("transport.target") && !raftConfig.containsKey(key)) {
                lines.add(line);
            }
        }
        lines.add("# in-JVM cluster (itests JvmCluster)");
        lines.add("transport.target=(transport.name=" + transport.name().toLowerCase() + ")");
        raftConfig.forEach((k, v) -> lines.add(k + "=" + v));
        Files.write(raftCfg, lines);
        return dir;
    }

    // ---- nodes -------------------------------------------------------------------------------------------------

    public JvmNode node(int id) {
        JvmNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id + " (nodes " + nodes.keySet() + ")");
        }
        return n;
    }

    public List<Integer> ids() {
        return List.copyOf(nodes.keySet());
    }

    public List<Integer> running() {
        return nodes.values().stream().filter(JvmNode::isRunning).map(n -> n.id).toList();
    }

    /** Stops node {@code id} cleanly (its framework stops, as Ctrl-C stops a node). */
    public void stop(int id) {
        JvmNode n = node(id);
        EmbeddedNode e = n.running;
        if (e != null) {
            n.running = null;
            e.close();
        }
    }

    /**
     * Kills node {@code id} as a crash would look to the others: with the memory transport it is cut off the network
     * first (both ways), then its framework stops, then its links are healed (nothing is bound to its address any
     * more, so messages to it are refused as by a dead host). With gRPC only the stop is possible.
     */
    public void kill(int id) {
        JvmNode n = node(id);
        if (isMemory()) {
            isolate(id);
        }
        stop(id);
        if (isMemory()) {
            healLinksOf(id);
        }
    }

    /** Starts a stopped or killed node again on its data directory; returns once it is ready. */
    public void restart(int id) throws EmbeddedNode.StartFailure {
        startNode(id, READY_TIMEOUT_MS);
    }

    // ---- network faults (memory transport) ----------------------------------------------------------------------

    private void requireMemory() {
        if (!isMemory()) {
            throw new IllegalStateException("network faults need the memory transport (-D" + TRANSPORT_PROPERTY + "=memory)");
        }
    }

    private List<String> addresses(Collection<Integer> ids) {
        return ids.stream().map(id -> node(id).raftAddress()).toList();
    }

    /** Cuts node {@code id} off from every other node, both ways (its Kafka listener stays reachable for clients). */
    public void isolate(int id) {
        requireMemory();
        List<Integer> others = new ArrayList<>(ids());
        others.remove(Integer.valueOf(id));
        network().partition(addresses(List.of(id)), addresses(others));
    }

    /** Blocks every link between a node of {@code side} and one of {@code other}, both ways. */
    public void partition(Collection<Integer> side, Collection<Integer> other) {
        requireMemory();
        network().partition(addresses(side), addresses(other));
    }

    /** Blocks the links from the nodes {@code from} to the nodes {@code to} only (replies the other way flow). */
    public void partitionOneWay(Collection<Integer> from, Collection<Integer> to) {
        requireMemory();
        network().partitionOneWay(addresses(from), addresses(to));
    }

    /** Every link without faults of its own loses {@code fraction} of its messages (requests and replies). */
    public void dropEverywhere(double fraction) {
        requireMemory();
        network().setDefaults(Faults.NONE.withDrop(fraction));
    }

    /** Clears every fault between the cluster's nodes (and the network's defaults). */
    public void heal() {
        if (isMemory()) {
            network().setDefaults(Faults.NONE);
            for (int a : ids()) {
                healLinksOf(a);
            }
        }
    }

    private void healLinksOf(int id) {
        String a = node(id).raftAddress();
        for (JvmNode other : nodes.values()) {
            network().heal(a, other.raftAddress());
            network().heal(other.raftAddress(), a);
        }
    }

    /**
     * Which bundle node {@code id}'s transport-memory bundle wires the network package to: the system bundle (id 0)
     * when the harness shares the network as intended.
     */
    public long networkPackageProvider(int id) {
        for (Bundle b : node(id).running.bundleContext().getBundles()) {
            if ("io.chronik.transport.memory".equals(b.getSymbolicName())) {
                BundleWiring wiring = b.adapt(BundleWiring.class);
                for (BundleWire w : wiring.getRequiredWires("osgi.wiring.package")) {
                    if ("io.chronik.transport.memory".equals(w.getCapability().getAttributes().get("osgi.wiring.package"))) {
                        return w.getProvider().getBundle().getBundleId();
                    }
                }
                return b.getBundleId(); // not imported: its own copy
            }
        }
        return -1;
    }

    // ---- Kafka --------------------------------------------------------------------------------------------------

    public int kafkaPort(int id) {
        return node(id).kafkaPort;
    }

    /** The running nodes' Kafka addresses, for {@code bootstrap.servers}. */
    public String bootstrap() {
        return running().stream().map(id -> "127.0.0.1:" + node(id).kafkaPort).collect(Collectors.joining(","));
    }

    public String bootstrap(int id) {
        return "127.0.0.1:" + node(id).kafkaPort;
    }

    /** An Admin client on the running nodes; the caller closes it. */
    public Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        return Admin.create(p);
    }

    /** An idempotent {@code acks=all} producer on the running nodes, with {@code extra} settings; the caller closes it. */
    public KafkaProducer<byte[], byte[]> producer(Map<String, Object> extra) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "2");
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "3000");
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        p.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "50");
        p.put(ProducerConfig.METADATA_MAX_AGE_CONFIG, "1000");
        p.putAll(extra);
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    public KafkaProducer<byte[], byte[]> producer() {
        return producer(Map.of());
    }

    /** A consumer outside any group, bootstrapped on {@code bootstrap}, in {@code rack} (null: none). */
    public KafkaConsumer<byte[], byte[]> consumer(String bootstrap, String rack) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        if (rack != null) {
            p.put(ConsumerConfig.CLIENT_RACK_CONFIG, rack);
        }
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, "5000");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "1000");
        return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Node {@code id}'s Metadata for {@code topics} (all when none), asked of that node alone. */
    public MetadataResponseData metadata(int id, String... topics) throws Exception {
        return RawKafka.metadata(kafkaPort(id), topics);
    }

    /** The leader of {@code topic}-{@code partition} as node {@code id}'s Metadata says (-1: none). */
    public int leader(int id, String topic, int partition) throws Exception {
        MetadataResponseData m = metadata(id, topic);
        MetadataResponseData.MetadataResponseTopic t = m.topics().find(topic);
        if (t == null || t.errorCode() != 0) {
            return -1;
        }
        for (MetadataResponseData.MetadataResponsePartition p : t.partitions()) {
            if (p.partitionIndex() == partition) {
                return p.leaderId();
            }
        }
        return -1;
    }

    /** Waits until every node in {@code ids} lists exactly {@code ids} as brokers in its Metadata. */
    public void awaitBrokersEverywhere(List<Integer> ids) throws InterruptedException {
        List<Integer> wanted = ids.stream().sorted().toList();
        await("every node of " + wanted + " lists brokers " + wanted, 30_000, () -> {
            for (int id : wanted) {
                if (!RawKafka.brokers(metadata(id)).equals(wanted)) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * Waits until every running node's Metadata shows every partition of {@code topic} with a leader and its in-sync
     * replicas equal to its replicas (all caught up, none fenced).
     */
    public void awaitFullyReplicated(String topic, long timeoutMs) throws InterruptedException {
        Map<Integer, String> seen = new TreeMap<>();
        await(topic + " led and fully in sync on every node", timeoutMs, () -> {
            boolean ok = true;
            for (int id : running()) {
                MetadataResponseData.MetadataResponseTopic t = metadata(id, topic).topics().find(topic);
                if (t == null || t.errorCode() != 0 || t.partitions().isEmpty()) {
                    seen.put(id, t == null ? "no topic" : "error " + t.errorCode());
                    ok = false;
                    continue;
                }
                for (MetadataResponseData.MetadataResponsePartition p : t.partitions()) {
                    if (p.leaderId() < 0 || !new java.util.HashSet<>(p.isrNodes()).equals(new java.util.HashSet<>(p.replicaNodes()))) {
                        seen.put(id, "partition " + p.partitionIndex() + " leader " + p.leaderId() + " isr " + p.isrNodes()
                                + " replicas " + p.replicaNodes());
                        ok = false;
                    }
                }
            }
            return ok;
        }, seen::toString);
    }

    /**
     * The sum of the samples of counter {@code name} on node {@code id}'s Prometheus /metrics (those with a
     * {@code node_id} label only if it names this node); 0 when it exports none.
     */
    public double metric(int id, String name) throws Exception {
        double sum = 0;
        for (String line : scrape(id).split("\n")) {
            java.util.regex.Matcher m = SAMPLE.matcher(line);
            if (!m.find() || !m.group(1).equals(name)) {
                continue;
            }
            String labels = m.group(3) == null ? "" : m.group(3);
            if (labels.contains("node_id=") && !labels.contains("node_id=\"" + id + "\"")) {
                continue;
            }
            sum += Double.parseDouble(m.group(4));
        }
        return sum;
    }

    /** Node {@code id}'s Prometheus exposition ({@code /metrics}, text format). */
    public String scrape(int id) throws Exception {
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node(id).metricsPort + "/metrics"))
                        .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new java.io.IOException("GET /metrics of node " + id + ": HTTP " + r.statusCode());
        }
        return r.body();
    }

    private static final java.util.regex.Pattern SAMPLE =
            java.util.regex.Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)\\})?\\s+(\\S+)");

    /**
     * For failure messages: how node {@code id} sees {@code topic}-{@code partition} (leader, ISR, brokers) and why it
     * refused follower reads so far (its {@code chronik_fetch_follower_refused_total} by reason).
     */
    public String diagnose(int id, String topic, int partition) {
        StringBuilder sb = new StringBuilder("node ").append(id).append(": ");
        try {
            MetadataResponseData m = metadata(id, topic);
            sb.append("brokers ").append(RawKafka.brokers(m)).append(", controller ").append(m.controllerId());
            MetadataResponseData.MetadataResponseTopic t = m.topics().find(topic);
            if (t != null && partition < t.partitions().size()) {
                MetadataResponseData.MetadataResponsePartition p = t.partitions().get(partition);
                sb.append(", leader ").append(p.leaderId()).append(" epoch ").append(p.leaderEpoch()).append(" isr ")
                        .append(p.isrNodes()).append(" replicas ").append(p.replicaNodes());
            }
            java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient().send(
                    java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + node(id).metricsPort + "/metrics"))
                            .timeout(java.time.Duration.ofSeconds(5)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            sb.append(", refusals ").append(java.util.Arrays.stream(r.body().split("\n"))
                    .filter(l -> l.startsWith("chronik_fetch_follower_refused") && !l.endsWith(" 0.0")).toList());
            sb.append(", read index ").append(java.util.Arrays.stream(r.body().split("\n"))
                    .filter(l -> l.startsWith("chronik_raft_read_index") && !l.contains("_bucket") && !l.endsWith(" 0.0")).toList());
            sb.append(", transport errors ").append(java.util.Arrays.stream(r.body().split("\n"))
                    .filter(l -> l.startsWith("chronik_raft_transport_rpc_errors_total") && !l.endsWith(" 0.0")).toList());
            sb.append(", transport calls ").append(java.util.Arrays.stream(r.body().split("\n"))
                    .filter(l -> l.startsWith("chronik_raft_transport_rpc_duration_seconds_count")).toList());
        } catch (Exception e) {
            sb.append(e);
        }
        return sb.toString();
    }

    /** Partitions node {@code id} served to consumers as a follower so far (its /metrics counter). */
    public double followerFetches(int id) throws Exception {
        return metric(id, "chronik_fetch_follower_partitions_total");
    }

    // ---- waiting ------------------------------------------------------------------------------------------------

    /** Polls {@code condition} every 50 ms until it holds (exceptions count as false); fails after {@code timeoutMs}. */
    public static void await(String what, long timeoutMs, Callable<Boolean> condition) throws InterruptedException {
        await(what, timeoutMs, condition, () -> "");
    }

    public static void await(String what, long timeoutMs, Callable<Boolean> condition, Supplier<String> lastSeen)
            throws InterruptedException {
        Await.until(what, timeoutMs, 50, condition, lastSeen);
    }

    // ---- end ----------------------------------------------------------------------------------------------------

    /** Stops every node (in parallel), heals the network, deletes the directories (keeps them if not {@code passed}). */
    public void close(boolean passed, String name) {
        heal();
        List<Thread> stops = new ArrayList<>();
        for (JvmNode n : nodes.values()) {
            if (n.running != null) {
                Thread t = new Thread(() -> stop(n.id), "jvm-cluster-stop-" + n.id);
                t.start();
                stops.add(t);
            }
        }
        for (Thread t : stops) {
            try {
                t.join(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (root == null) {
            return;
        }
        if (passed) {
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                System.err.println("cannot delete " + root + ": " + e);
            }
        } else {
            System.err.println(name + ": the in-JVM cluster's directories are kept in " + root);
        }
    }

    /** Whether another holder has {@code dataDir}'s node lock (a node running on it, here or elsewhere). */
    public static boolean isLocked(Path dataDir) throws IOException {
        try (FileChannel c = FileChannel.open(dataDir.resolve("node.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock l;
            try {
                l = c.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                return true; // held by this JVM
            }
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        }
    }

    static int freePort() {
        return io.chronik.itests.ContainerSupport.freePort();
    }
}
