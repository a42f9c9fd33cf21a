package io.chronik.itests.chaos;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.junit.rules.TestRule;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;
import org.netcrusher.core.reactor.NioReactor;

import io.chronik.itests.Await;
import io.chronik.itests.ContainerSupport;

/**
 * Three (or more) {@code bin/chronik start} processes with a fault-injecting proxy ({@link ChaosProxy}) on every Raft
 * link and in front of every Kafka port.
 *
 * <p><b>How Raft traffic is made to cross the proxies.</b> A node registers its {@code --raft-addr} in the metadata,
 * and every node builds its data groups from those registered addresses (the metadata group from {@code --peers});
 * there is no separate advertised Raft address, so a proxy on another port would be bypassed. The node's own entry in
 * {@code --peers} may differ from its {@code --raft-addr} (the metadata group's configuration takes {@code --peers},
 * the server binds {@code --raft-addr}), but the data groups would still use the bound address. Ratis, for its part,
 * stores the group configuration with the peers' addresses in its log, so every member must see the same address
 * strings. Hence: every node's Raft address is a host <em>name</em>, {@code chaos-raft-<id>:<port>}, the same string
 * in {@code --raft-addr}, {@code --peers} and the metadata, and each node's JVM resolves the names through a hosts file
 * of its own ({@code -Djdk.net.hosts.file}): its own name to 127.0.0.1, where it binds, and node {@code j}'s name to
 * {@code 127.0.<i>.<10+j>}, where the proxy of the link i→j listens on node j's port and forwards to 127.0.0.1. So
 * each directed link (the connections node i opens to node j: its requests and their responses) has a proxy of its
 * own — six for three nodes — and a partition can cut exactly the links it wants. Kafka clients reach node i through
 * its Kafka proxy ({@code --advertised-addr} is the proxy's address); {@link #directPort} bypasses it (the checker
 * reads each replica there).
 *
 * <p>A JUnit rule: at the end of the test the nodes are stopped and the proxies closed; if the test failed every
 * node's output (all its runs) is written to {@code target/chaos-logs/<test>/node-<id>.log}. Not thread-safe except
 * the fault methods of the proxies; blocking methods fail with {@link AssertionError} on timeout.
 */
final class ChaosCluster implements TestRule {
    private static final long START_TIMEOUT_MS = 90_000;

    static {
        // NetCrusher logs every proxy opening at INFO and every refused or reset connection (a node not up yet, or killed) at ERROR
        System.setProperty("org.slf4j.simpleLogger.log.org.netcrusher", "warn");
        System.setProperty("org.slf4j.simpleLogger.log.org.netcrusher.tcp", "off");
    }

    /** One node's addresses, data directory, flags and runs. */
    private static final class Member {
        final int id;
        final int raftPort = ContainerSupport.freePort();
        final int kafkaPort = ContainerSupport.freePort();
        final int kafkaProxyPort = ContainerSupport.freePort();
        final int metricsPort = ContainerSupport.freePort();
        Path dataDir;
        Path hostsFile;
        List<String> args;
        final List<ChaosNode> runs = new ArrayList<>();

        Member(int id) {
            this.id = id;
        }

        ChaosNode current() {
            return runs.get(runs.size() - 1);
        }

        boolean running() {
            return !runs.isEmpty() && current().alive();
        }
    }

    private final int size;
    private final List<String> extraArgs = new ArrayList<>();
    private final Map<Integer, Member> members = new TreeMap<>();
    private final Map<String, ChaosProxy> raftLinks = new LinkedHashMap<>();
    private final Map<Integer, ChaosProxy> kafkaProxies = new TreeMap<>();
    private NioReactor reactor;
    private Path home;
    private Path work;

    ChaosCluster(int size) {
        this.size = size;
    }

    /** Flags every node starts with, besides the addresses. */
    ChaosCluster args(String... args) {
        extraArgs.addAll(List.of(args));
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
                    shutdown(passed, description);
                }
            }
        };
    }

    /** Starts the proxies and the nodes; returns once every node has started and is listed as a broker. */
    ChaosCluster start() throws Exception {
        reactor = new NioReactor(5);
        work = Files.createTempDirectory("chronik-chaos-");
        home = copyDistribution(work.resolve("dist"));
        for (int id = 1; id <= size; id++) {
            members.put(id, new Member(id));
        }
        String localName = InetAddress.getLocalHost().getHostName();
        String peers = members.values().stream().map(m -> m.id + "@" + raftName(m.id) + ":" + m.raftPort)
                .collect(Collectors.joining(","));
        for (Member m : members.values()) {
            m.dataDir = Files.createDirectories(work.resolve("node-" + m.id));
            StringBuilder hosts = new StringBuilder("127.0.0.1 localhost " + localName + "\n");
            for (Member other : members.values()) {
                hosts.append(other.id == m.id ? "127.0.0.1" : linkHost(m.id, other.id)).append(' ')
                        .append(raftName(other.id)).append('\n');
                if (other.id != m.id) {
                    raftLinks.put(m.id + "->" + other.id, new ChaosProxy(reactor, "raft " + m.id + "->" + other.id,
                            linkHost(m.id, other.id), other.raftPort, other.raftPort));
                }
            }
            m.hostsFile = Files.writeString(work.resolve("hosts-" + m.id), hosts, StandardCharsets.UTF_8);
            kafkaProxies.put(m.id, new ChaosProxy(reactor, "kafka " + m.id, "127.0.0.1", m.kafkaProxyPort, m.kafkaPort));
            m.args = new ArrayList<>(List.of("start", "--node-id", Integer.toString(m.id), "--data-dir", m.dataDir.toString(),
                    "--kafka-addr", "127.0.0.1:" + m.kafkaPort, "--advertised-addr", "127.0.0.1:" + m.kafkaProxyPort,
                    "--raft-addr", raftName(m.id) + ":" + m.raftPort, "--metrics-addr", "127.0.0.1:" + m.metricsPort,
                    "--peers", peers, "--flush-policy", "os"));
            m.args.addAll(extraArgs);
        }
        for (Member m : members.values()) {
            m.runs.add(launch(m));
        }
        for (Member m : members.values()) {
            m.current().awaitLine("started in", START_TIMEOUT_MS);
        }
        awaitBrokers(ids());
        // the Raft traffic does cross the proxies: every node was reached through one (a link i->j carries a connection
        // only once node i has a request for node j: as a group leader, a candidate or a client of the metadata leader)
        await("a connection through a Raft link proxy to every node", 30_000,
                () -> members.keySet().stream().allMatch(to -> members.keySet().stream()
                        .anyMatch(from -> !from.equals(to) && raftLink(from, to).accepted() > 0)),
                () -> raftLinks.values().stream().map(p -> p.name() + ": " + p.accepted()).toList().toString());
        return this;
    }

    private static String raftName(int id) {
        return "chaos-raft-" + id;
    }

    /** Where the proxy of the Raft link from node {@code from} to node {@code to} listens. */
    private static String linkHost(int from, int to) {
        return "127.0." + from + "." + (10 + to);
    }

    private ChaosNode launch(Member m) throws IOException {
        return ChaosNode.start(home, Map.of("JAVA_OPTS", "-Xmx384m -Djdk.net.hosts.file=" + m.hostsFile), m.args);
    }

    private static Path copyDistribution(Path target) throws IOException {
        Path source = Path.of(System.getProperty("chronik.dir", "../distribution/target/chronik")).toAbsolutePath().normalize();
        if (!Files.isDirectory(source.resolve("bin"))) {
            throw new IllegalStateException("no distribution at " + source + ": build it first (mvn package)");
        }
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = target.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        return target;
    }

    // ---- nodes

    List<Integer> ids() {
        return List.copyOf(members.keySet());
    }

    List<Integer> running() {
        return members.values().stream().filter(Member::running).map(m -> m.id).toList();
    }

    private Member member(int id) {
        Member m = members.get(id);
        if (m == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return m;
    }

    /** SIGKILL; returns once the process is gone. */
    void kill(int id) throws InterruptedException {
        member(id).current().kill();
    }

    /** SIGTERM; returns once the process is gone. */
    void stop(int id) throws IOException, InterruptedException {
        member(id).current().stop();
    }

    /** Starts a stopped node again with its flags and data; returns once it printed its start line. */
    void restart(int id) throws IOException, InterruptedException {
        Member m = member(id);
        if (m.running()) {
            throw new IllegalStateException("node " + id + " is running");
        }
        m.runs.add(launch(m));
        m.current().awaitLine("started in", START_TIMEOUT_MS);
    }

    /**
     * Starts several stopped nodes again at once (a node may wait for a quorum of the others before it is up); returns
     * once each printed its start line.
     */
    void restartAll(List<Integer> ids) throws IOException, InterruptedException {
        for (int id : ids) {
            Member m = member(id);
            if (m.running()) {
                throw new IllegalStateException("node " + id + " is running");
            }
            m.runs.add(launch(m));
        }
        for (int id : ids) {
            member(id).current().awaitLine("started in", START_TIMEOUT_MS);
        }
    }

    /** Node {@code id}'s own Kafka port, not through its proxy. */
    int directPort(int id) {
        return member(id).kafkaPort;
    }

    /** The port of node {@code id}'s Kafka proxy on 127.0.0.1 (its advertised address). */
    int proxyPort(int id) {
        return member(id).kafkaProxyPort;
    }

    /** Every node's Kafka proxy address, for {@code bootstrap.servers}. */
    String bootstrap() {
        return members.values().stream().map(m -> "127.0.0.1:" + m.kafkaProxyPort).collect(Collectors.joining(","));
    }

    String output(int id) {
        return member(id).current().output();
    }

    // ---- proxies

    /** The proxy of the Raft link on which node {@code from} sends to node {@code to}. */
    ChaosProxy raftLink(int from, int to) {
        ChaosProxy p = raftLinks.get(from + "->" + to);
        if (p == null) {
            throw new IllegalArgumentException("no Raft link " + from + "->" + to);
        }
        return p;
    }

    List<ChaosProxy> raftLinks() {
        return List.copyOf(raftLinks.values());
    }

    /** The proxy clients reach node {@code id} through. */
    ChaosProxy kafkaProxy(int id) {
        return kafkaProxies.get(id);
    }

    List<ChaosProxy> kafkaProxies() {
        return List.copyOf(kafkaProxies.values());
    }

    /** Cuts every Raft link to and from node {@code id} (blackhole both ways); its Kafka port stays reachable. */
    void isolateRaft(int id) {
        for (int other : ids()) {
            if (other != id) {
                raftLink(id, other).blackhole();
                raftLink(other, id).blackhole();
            }
        }
    }

    /** Ends every fault on every proxy. */
    void healAll() {
        raftLinks.values().forEach(ChaosProxy::heal);
        kafkaProxies.values().forEach(ChaosProxy::heal);
    }

    // ---- cluster state through the Kafka API

    Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "20000");
        return Admin.create(p);
    }

    void createTopic(String topic, int partitions) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) size))).all().get(30, TimeUnit.SECONDS);
        }
        await("topic " + topic + " has leaders and full ISRs", 60_000, () -> partitions(topic).stream()
                .allMatch(p -> p.leader() != null && p.isr().size() == size));
    }

    /** The metadata group's leader (Kafka's controller) as the cluster reports it. */
    int controller() throws Exception {
        try (Admin admin = admin()) {
            return admin.describeCluster().controller().get(10, TimeUnit.SECONDS).id();
        }
    }

    /**
     * Creates {@code topic} with {@code leader} as every partition's first (preferred) replica, the other nodes after
     * it, and waits until {@code leader} leads every partition (asking for preferred-leader elections meanwhile).
     */
    void createTopicLedBy(String topic, int partitions, int leader) throws Exception {
        List<Integer> replicas = new ArrayList<>(List.of(leader));
        ids().stream().filter(id -> id != leader).forEach(replicas::add);
        Map<Integer, List<Integer>> assignment = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            assignment.put(p, replicas);
        }
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, assignment))).all().get(30, TimeUnit.SECONDS);
            await("node " + leader + " leads every partition of " + topic + " with full ISRs", 60_000, () -> {
                if (partitions(topic).stream().allMatch(p -> p.leader() != null && p.leader().id() == leader
                        && p.isr().size() == size)) {
                    return true;
                }
                try {
                    admin.electLeaders(ElectionType.PREFERRED, null).partitions().get(10, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // not elected yet (no leader, or the preferred one cannot lead now): asked again next round
                }
                return false;
            });
        }
    }

    List<TopicPartitionInfo> partitions(String topic) throws Exception {
        try (Admin admin = admin()) {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(20, TimeUnit.SECONDS).get(topic).partitions();
        }
    }

    /** The leader of {@code topic}-{@code partition} as the cluster reports it, -1 if none. */
    int leader(String topic, int partition) throws Exception {
        Node l = partitions(topic).get(partition).leader();
        return l == null ? -1 : l.id();
    }

    /** Waits until every partition of {@code topic} has a leader and every node in its ISR. */
    void awaitFullIsr(String topic, long timeoutMs) throws InterruptedException {
        await("every replica of " + topic + " in sync", timeoutMs, () -> partitions(topic).stream()
                .allMatch(p -> p.leader() != null && p.isr().size() == size), () -> {
                    try {
                        return partitions(topic).toString();
                    } catch (Exception e) {
                        return e.toString();
                    }
                });
    }

    void awaitBrokers(List<Integer> ids) throws Exception {
        List<Integer> wanted = ids.stream().sorted().toList();
        try (Admin admin = admin()) {
            await("brokers " + wanted, 60_000, () -> admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).stream()
                    .map(Node::id).sorted().toList().equals(wanted));
        }
    }

    static void await(String what, long timeoutMs, java.util.concurrent.Callable<Boolean> condition)
            throws InterruptedException {
        Await.until(what, timeoutMs, 250, condition, () -> "");
    }

    static void await(String what, long timeoutMs, java.util.concurrent.Callable<Boolean> condition,
            java.util.function.Supplier<String> lastSeen) throws InterruptedException {
        Await.until(what, timeoutMs, 250, condition, lastSeen);
    }

    // ---- the end

    private void shutdown(boolean passed, Description description) throws IOException, InterruptedException {
        if (reactor != null) {
            raftLinks.values().forEach(ChaosProxy::heal);
        }
        for (Member m : members.values()) {
            if (m.running()) {
                m.current().stop();
            }
        }
        raftLinks.values().forEach(ChaosProxy::close);
        kafkaProxies.values().forEach(ChaosProxy::close);
        if (reactor != null) {
            reactor.close();
        }
        if (!passed && work != null) {
            Path dir = Path.of("target/chaos-logs", description.getClassName() + "." + description.getMethodName());
            Files.createDirectories(dir);
            for (Member m : members.values()) {
                StringBuilder sb = new StringBuilder("# node " + m.id + ": bin/chronik " + String.join(" ", m.args) + "\n");
                for (int i = 0; i < m.runs.size(); i++) {
                    sb.append("# run ").append(i + 1).append('\n').append(m.runs.get(i).output()).append('\n');
                }
                Files.writeString(dir.resolve("node-" + m.id + ".log"), sb, StandardCharsets.UTF_8);
            }
            System.err.println("chaos cluster logs kept in " + dir.toAbsolutePath());
        }
        if (work != null) {
            try (Stream<Path> files = Files.walk(work)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
