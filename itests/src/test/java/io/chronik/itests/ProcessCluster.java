package io.chronik.itests;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.junit.rules.TestRule;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * A cluster of {@code bin/chronik start} processes on one machine, run from one copy of the distribution, each node
 * on free loopback ports with its own data directory — the way an operator runs a cluster (docs/cluster.md).
 *
 * <p>Use it as a JUnit rule ({@code @Rule} for one cluster per test, {@code @ClassRule} to share one between a class's
 * tests) and call {@link #start} in the test or in {@code @BeforeClass}. When the rule's statement ends the processes
 * are stopped; if it failed, every node's output (all its runs) is written to
 * {@code target/cluster-logs/<test>/node-<id>.log} and the data directories are kept, otherwise they are deleted.
 *
 * <p>Not thread-safe: call it from the test thread. The methods that start or stop processes block until the
 * process is up (its "started in" line) or gone, and fail with {@link AssertionError} when it does not happen in time.
 */
final class ProcessCluster implements TestRule {
    private static final long START_TIMEOUT_MS = 90_000;

    private final int initialSize;
    private final List<String> commonArgs = new ArrayList<>();
    private Callable<Path> distribution = ChronikProcess::copyDistribution;
    private boolean homePerNode;
    private IntFunction<List<String>> nodeArgs = id -> List.of();
    private Map<String, String> env = Map.of();
    private final Map<Integer, ClusterNode> nodes = new TreeMap<>();
    private Path home;

    /** One node: its fixed addresses and data directory, and its current and past processes. */
    static final class ClusterNode {
        final int id;
        final int kafkaPort = ContainerSupport.freePort();
        final int raftPort = ContainerSupport.freePort();
        final int metricsPort = ContainerSupport.freePort();
        final Path dataDir;
        private Path home;
        private final List<ChronikProcess> runs = new ArrayList<>();
        private String[] args;
        private boolean frozen;

        private ClusterNode(int id, Path dataDir) {
            this.id = id;
            this.dataDir = dataDir;
        }

        boolean running() {
            return !runs.isEmpty() && runs.get(runs.size() - 1).process.isAlive();
        }

        ChronikProcess process() {
            return runs.get(runs.size() - 1);
        }

        String raftAddress() {
            return id + "@127.0.0.1:" + raftPort;
        }
    }

    /** @param initialSize the number of nodes {@link #start} starts, ids 1 to {@code initialSize}, all in {@code --peers} */
    ProcessCluster(int initialSize) {
        this.initialSize = initialSize;
    }

    /** Where the copy of the distribution comes from (default: a plain copy of distribution/target/chronik). */
    ProcessCluster distribution(Callable<Path> copy) {
        this.distribution = copy;
        return this;
    }

    /**
     * Gives every node a copy of the distribution of its own (as on separate machines), so that a node's
     * {@code conf/config} and {@code deploy/} directories can be changed without touching the others'. Without it all
     * nodes run from one copy.
     */
    ProcessCluster homePerNode() {
        this.homePerNode = true;
        return this;
    }

    /** Flags every node of this cluster starts with, after the addresses (e.g. {@code --session-timeout-ms 3000}). */
    ProcessCluster args(String... args) {
        commonArgs.addAll(List.of(args));
        return this;
    }

    /** Environment variables every node's process gets (e.g. the AWS SDK's credentials). */
    ProcessCluster env(Map<String, String> variables) {
        this.env = Map.copyOf(variables);
        return this;
    }

    /** Flags for one node by id (e.g. its {@code --rack}). */
    ProcessCluster nodeArgs(IntFunction<List<String>> args) {
        this.nodeArgs = args;
        return this;
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
                    stopAll();
                    if (passed) {
                        deleteAll();
                    } else {
                        keepLogs(description);
                    }
                }
            }
        };
    }

    /**
     * Copies the distribution and starts the initial nodes with {@code extraArgs} added to every node's flags; returns
     * once each has started and the cluster lists them all as brokers.
     */
    ProcessCluster start(String... extraArgs) throws Exception {
        if (home != null) {
            throw new IllegalStateException("started already");
        }
        commonArgs.addAll(List.of(extraArgs));
        home = distribution.call();
        List<ClusterNode> initial = new ArrayList<>();
        for (int id = 1; id <= initialSize; id++) {
            ClusterNode n = new ClusterNode(id, Files.createTempDirectory("chronik-node" + id + "-"));
            n.home = homePerNode && id > 1 ? distribution.call() : home;
            nodes.put(id, n);
            initial.add(n);
        }
        String peers = initial.stream().map(ClusterNode::raftAddress).collect(Collectors.joining(","));
        for (ClusterNode n : initial) {
            n.args = startArgs(n, peers);
            n.runs.add(ChronikProcess.run(env, n.home, n.args));
        }
        for (ClusterNode n : initial) {
            n.process().awaitLine("started in", START_TIMEOUT_MS);
        }
        awaitBrokers(ids());
        return this;
    }

    private String[] startArgs(ClusterNode n, String peers) {
        List<String> args = new ArrayList<>(List.of("start", "--node-id", Integer.toString(n.id),
                "--data-dir", n.dataDir.toString(), "--kafka-addr", "127.0.0.1:" + n.kafkaPort,
                "--advertised-addr", "127.0.0.1:" + n.kafkaPort, "--raft-addr", "127.0.0.1:" + n.raftPort,
                "--metrics-addr", "127.0.0.1:" + n.metricsPort, "--peers", peers, "--flush-policy", "os"));
        args.addAll(commonArgs);
        args.addAll(nodeArgs.apply(n.id));
        return args.toArray(new String[0]);
    }

    /**
     * Starts one more node (the next id) with a fresh data directory and {@code --peers} naming the running members
     * and itself, as an operator adds a node to a running cluster; returns its id once every running node lists it
     * as a broker.
     */
    int addNode() throws Exception {
        int id = nodes.keySet().stream().max(Integer::compare).orElse(0) + 1;
        ClusterNode n = new ClusterNode(id, Files.createTempDirectory("chronik-node" + id + "-"));
        n.home = homePerNode ? distribution.call() : home;
        String peers = Stream.concat(nodes.values().stream().filter(ClusterNode::running), Stream.of(n))
                .map(ClusterNode::raftAddress).collect(Collectors.joining(","));
        nodes.put(id, n);
        n.args = startArgs(n, peers);
        n.runs.add(ChronikProcess.run(env, n.home, n.args));
        n.process().awaitLine("started in", START_TIMEOUT_MS);
        awaitBrokers(running());
        return id;
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed by the node. Returns once the process is gone. */
    void kill(int id) throws InterruptedException {
        node(id).process().process.destroyForcibly().waitFor();
    }

    /**
     * SIGSTOP: the process stays, its sockets stay open, but it answers nothing (as a node cut off by a partition or
     * stalled by a long pause). {@link #thaw} resumes it; stopping the cluster kills a frozen node.
     */
    void freeze(int id) throws IOException, InterruptedException {
        signal(id, "-STOP");
        node(id).frozen = true;
    }

    /** SIGCONT: a node {@link #freeze frozen} before goes on where it stopped. */
    void thaw(int id) throws IOException, InterruptedException {
        signal(id, "-CONT");
        node(id).frozen = false;
    }

    private void signal(int id, String signal) throws IOException, InterruptedException {
        ChronikProcess p = node(id).process();
        int exit = new ProcessBuilder("kill", signal, Long.toString(p.process.pid())).inheritIO().start().waitFor();
        if (exit != 0) {
            throw new AssertionError("kill " + signal + " of node " + id + " exited with " + exit);
        }
    }

    /** SIGTERM, as an operator's {@code kill}; returns once the process ended (at most 60 s). */
    void stop(int id) throws IOException, InterruptedException {
        ChronikProcess p = node(id).process();
        p.terminate();
        if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
            throw new AssertionError("node " + id + " did not stop in 60 s:\n" + p.output());
        }
    }

    /** Starts a stopped or killed node again with the same flags and data directory; returns once it has started. */
    void restart(int id) throws IOException, InterruptedException {
        ClusterNode n = node(id);
        if (n.running()) {
            throw new IllegalStateException("node " + id + " is running");
        }
        n.runs.add(ChronikProcess.run(env, n.home, n.args));
        n.process().awaitLine("started in", START_TIMEOUT_MS);
    }

    /** Deletes everything in a stopped node's data directory (the node lost its disk). */
    void wipe(int id) throws IOException {
        ClusterNode n = node(id);
        if (n.running()) {
            throw new IllegalStateException("node " + id + " is running");
        }
        try (Stream<Path> walk = Files.walk(n.dataDir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                if (!p.equals(n.dataDir)) {
                    Files.delete(p);
                }
            }
        }
    }

    /** Whether every partition of {@code topic} lists node {@code id} in its ISR (through the running nodes). */
    boolean inAllIsrs(int id, String topic) throws Exception {
        try (Admin admin = admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                    .allMatch(p -> p.isr().stream().anyMatch(n -> n.id() == id));
        }
    }

    /** Runs {@code bin/chronik args...} of this cluster's distribution (e.g. a {@code cluster} command) as a process. */
    ChronikProcess command(String... args) throws IOException {
        return ChronikProcess.run(home(), args);
    }

    Path home() {
        if (home == null) {
            throw new IllegalStateException("not started");
        }
        return home;
    }

    /** The distribution node {@code id} runs from (its own with {@link #homePerNode}, else {@link #home()}). */
    Path home(int id) {
        home();
        return node(id).home;
    }

    ClusterNode node(int id) {
        ClusterNode n = nodes.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id + " (nodes " + nodes.keySet() + ")");
        }
        return n;
    }

    /** Every node's id, running or not. */
    List<Integer> ids() {
        return List.copyOf(nodes.keySet());
    }

    /** The ids of the nodes whose process is alive. */
    List<Integer> running() {
        return nodes.values().stream().filter(ClusterNode::running).map(n -> n.id).toList();
    }

    int kafkaPort(int id) {
        return node(id).kafkaPort;
    }

    /** Node {@code id}'s {@code --metrics-addr} port (its Prometheus /metrics). */
    int metricsPort(int id) {
        return node(id).metricsPort;
    }

    Path dataDir(int id) {
        return node(id).dataDir;
    }

    /** What node {@code id} has printed in its current run. */
    String output(int id) {
        return node(id).process().output();
    }

    /** The Kafka addresses of the running nodes, for {@code bootstrap.servers}. */
    String bootstrap() {
        return running().stream().map(id -> "127.0.0.1:" + node(id).kafkaPort).collect(Collectors.joining(","));
    }

    /** Node {@code id}'s Kafka address alone. */
    String bootstrap(int id) {
        return "127.0.0.1:" + node(id).kafkaPort;
    }

    /** An Admin client bootstrapped on the running nodes; the caller closes it. */
    Admin admin() {
        return Admin.create(adminConfig(bootstrap()));
    }

    /** An Admin client that knows only node {@code id} at first (it may learn the others from Metadata). */
    Admin admin(int id) {
        return Admin.create(adminConfig(bootstrap(id)));
    }

    private static Properties adminConfig(String bootstrap) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        return p;
    }

    /** Waits (at most 60 s) until DescribeCluster lists exactly {@code ids} as the live brokers. */
    void awaitBrokers(List<Integer> ids) throws Exception {
        List<Integer> wanted = ids.stream().sorted().toList();
        try (Admin admin = admin()) {
            await("brokers " + wanted, 60_000, () -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                    .map(Node::id).sorted().toList().equals(wanted));
        }
    }

    /** Polls {@code condition} every 250 ms until it holds (exceptions count as false); fails after {@code timeoutMs}. */
    static void await(String what, long timeoutMs, Callable<Boolean> condition) throws InterruptedException {
        await(what, timeoutMs, condition, () -> "");
    }

    /** As {@link #await(String, long, Callable)}; the failure message ends with what {@code lastSeen} says then. */
    static void await(String what, long timeoutMs, Callable<Boolean> condition, Supplier<String> lastSeen)
            throws InterruptedException {
        Await.until(what, timeoutMs, 250, condition, lastSeen);
    }

    private void stopAll() throws InterruptedException {
        for (ClusterNode n : nodes.values()) {
            if (n.running()) {
                if (n.frozen) {
                    // a stopped process would hold SIGTERM pending until close() gives up and kills it
                    try {
                        thaw(n.id);
                    } catch (IOException | AssertionError e) {
                        // close() kills it anyway
                    }
                }
                n.process().close();
            }
        }
    }

    private void keepLogs(Description description) throws IOException {
        String name = description.getMethodName() == null ? description.getClassName()
                : description.getClassName() + "." + description.getMethodName();
        Path dir = Path.of(System.getProperty("chronik.itests.logs", "target/cluster-logs"), name);
        Files.createDirectories(dir);
        for (ClusterNode n : nodes.values()) {
            StringBuilder sb = new StringBuilder("# node " + n.id + ", data directory " + n.dataDir + ", distribution "
                    + n.home + "\n");
            for (int i = 0; i < n.runs.size(); i++) {
                sb.append("# run ").append(i + 1).append(": bin/chronik ").append(String.join(" ", n.args)).append('\n')
                        .append(n.runs.get(i).output()).append('\n');
            }
            Files.writeString(dir.resolve("node-" + n.id + ".log"), sb, StandardCharsets.UTF_8);
        }
        System.err.println("cluster logs kept in " + dir.toAbsolutePath() + "; data directories "
                + nodes.values().stream().map(n -> n.dataDir.toString()).toList() + " and " + home);
    }

    private void deleteAll() throws IOException {
        List<Path> roots = new ArrayList<>();
        nodes.values().forEach(n -> roots.add(n.dataDir));
        nodes.values().stream().map(n -> n.home).filter(h -> h != null && !h.equals(home)).distinct().forEach(roots::add);
        if (home != null) {
            roots.add(home);
        }
        for (Path root : roots) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
