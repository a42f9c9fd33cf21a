package io.chronik.launcher;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import io.chronik.api.net.HostPort;
import io.chronik.launcher.ClusterHealth.Broker;
import io.chronik.launcher.ClusterHealth.Partition;
import io.chronik.launcher.ClusterHealth.State;

/**
 * {@code chronik cluster health --bootstrap HOST:PORT[,HOST:PORT...] [--timeout-seconds T] [--json]}: reads the
 * cluster's state through the Kafka protocol with kafka-clients' {@link Admin} (DescribeCluster with fenced brokers,
 * then every topic, internal ones included), prints {@link ClusterHealth}'s report and returns its exit code:
 * {@link ClusterHealth#HEALTHY 0} healthy, {@link ClusterHealth#UNHEALTHY 1} unhealthy (also when a broker answers a
 * request with an error instead of the cluster's state), 2 bad command line, {@link ClusterHealth#UNREACHABLE 3} no
 * answer within {@code T} seconds (default 5).
 *
 * <p>Runs on the calling thread and blocks it for at most about {@code T} seconds (plus the Admin client's start and
 * close). kafka-clients is on the launcher's class path (lib/) for this command only; the OSGi framework does not
 * export it (Node#newFramework), so the bundles keep their own copy.
 */
final class HealthCommand {
    /** Entries each partition list of the text report shows at most. */
    static final int LIST_CAP = 20;
    private static final long DEFAULT_TIMEOUT_SECONDS = 5;

    private HealthCommand() {
    }

    /** Parsed command line. */
    record Options(String bootstrap, long timeoutMs, boolean json) {
    }

    static Options parse(List<String> args) throws UsageException {
        List<String> flags = new ArrayList<>(args);
        boolean json = flags.remove("--json");
        String bootstrap = take(flags, "--bootstrap", "cluster health needs --bootstrap HOST:PORT[,HOST:PORT...], "
                + "the Kafka address of one or more brokers");
        for (String address : bootstrap.split(",", -1)) {
            try {
                HostPort.parse(address.trim());
            } catch (IllegalArgumentException e) {
                throw new UsageException("cluster health --bootstrap: '" + address + "' is not host:port");
            }
        }
        long timeoutSeconds = DEFAULT_TIMEOUT_SECONDS;
        if (flags.contains("--timeout-seconds")) {
            String t = take(flags, "--timeout-seconds", "cluster health --timeout-seconds needs a number of seconds");
            if (!t.matches("\\d{1,6}") || Long.parseLong(t) == 0) {
                throw new UsageException("cluster health --timeout-seconds needs a number of seconds (1 or more)");
            }
            timeoutSeconds = Long.parseLong(t);
        }
        if (!flags.isEmpty()) {
            throw new UsageException("cluster health: unknown arguments " + flags + " (see --help)");
        }
        return new Options(bootstrap, TimeUnit.SECONDS.toMillis(timeoutSeconds), json);
    }

    private static String take(List<String> flags, String flag, String usage) throws UsageException {
        int at = flags.indexOf(flag);
        if (at < 0 || at + 1 >= flags.size() || flags.get(at + 1).startsWith("--")) {
            throw new UsageException(usage);
        }
        String value = flags.remove(at + 1);
        flags.remove(at);
        return value;
    }

    /** Runs the command: reads the state, prints the report on {@code out}, returns the exit code. */
    static int run(List<String> args, PrintStream out, PrintStream err) throws UsageException {
        Options options = parse(args);
        quietClientLogging();
        State state;
        try {
            state = read(options.bootstrap(), options.timeoutMs());
        } catch (Unreachable e) {
            err.println("chronik: cannot reach the cluster through " + options.bootstrap() + ": " + e.getMessage());
            return ClusterHealth.UNREACHABLE;
        } catch (Refused e) {
            out.print(options.json() ? "{\"healthy\":false,\"problems\":[" + HealthReportFormat.string(e.getMessage())
                    + "]}\n" : "health: unhealthy (" + e.getMessage() + ")\n");
            return ClusterHealth.UNHEALTHY;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("chronik: interrupted");
            return ClusterHealth.UNREACHABLE;
        }
        ClusterHealth.Report report = ClusterHealth.evaluate(state);
        out.print(options.json() ? HealthReportFormat.json(report) : HealthReportFormat.text(report, LIST_CAP));
        return report.exitCode();
    }

    /** No answer within the timeout (or no bootstrap address resolves). */
    static final class Unreachable extends Exception {
        private static final long serialVersionUID = 1L;

        Unreachable(String message) {
            super(message);
        }
    }

    /** A broker answered, but with an error instead of the state (e.g. its metadata is not available yet). */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /**
     * Reads the cluster's state through {@code bootstrap} with one Admin client, giving up after {@code timeoutMs}.
     * Blocks the calling thread.
     *
     * @throws Unreachable when the brokers do not answer in time
     * @throws Refused     when a broker answers with an error
     */
    static State read(String bootstrap, long timeoutMs) throws Unreachable, Refused, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, "chronik-cluster-health");
        // a broker that accepts connections but answers nothing (stopped, cut off) must leave time to try the others
        String perRequest = Long.toString(Math.max(1000, timeoutMs / 3));
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, perRequest);
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, perRequest);
        p.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, perRequest);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Long.toString(timeoutMs));
        p.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
        p.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "500");
        Admin admin;
        try {
            admin = Admin.create(p);
        } catch (KafkaException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            throw new Unreachable(message(root)); // e.g. no bootstrap address resolves
        }
        try {
            DescribeClusterResult cluster = admin.describeCluster(new DescribeClusterOptions().includeFencedBrokers(true)
                    .timeoutMs(remaining(deadline)));
            Collection<Node> nodes = get(cluster.nodes(), deadline, "DescribeCluster");
            Node controller = get(cluster.controller(), deadline, "DescribeCluster");
            String clusterId = get(cluster.clusterId(), deadline, "DescribeCluster");
            List<Broker> brokers = nodes.stream().map(n -> new Broker(n.id(), n.host(), n.port(), n.rack(), n.isFenced()))
                    .toList();
            Set<String> topics = get(admin.listTopics(new ListTopicsOptions().listInternal(true)
                    .timeoutMs(remaining(deadline))).names(), deadline, "ListTopics");
            List<Partition> partitions = new ArrayList<>();
            Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(topics,
                    new DescribeTopicsOptions().timeoutMs(remaining(deadline))).topicNameValues();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> e : described.entrySet()) {
                TopicDescription d;
                try {
                    d = get(e.getValue(), deadline, "DescribeTopics");
                } catch (Refused refused) {
                    if (deletedMeanwhile(e.getValue())) {
                        continue;
                    }
                    throw refused;
                }
                for (TopicPartitionInfo tp : d.partitions()) {
                    partitions.add(new Partition(d.name(), tp.partition(),
                            tp.leader() == null || tp.leader().isEmpty() ? -1 : tp.leader().id(),
                            tp.replicas().stream().map(Node::id).toList(), tp.isr().stream().map(Node::id).toList()));
                }
            }
            return new State(clusterId, controller == null || controller.isEmpty() ? -1 : controller.id(), brokers,
                    partitions);
        } finally {
            admin.close(Duration.ZERO);
        }
    }

    private static boolean deletedMeanwhile(KafkaFuture<TopicDescription> f) throws InterruptedException {
        try {
            f.get();
            return false;
        } catch (ExecutionException e) {
            return e.getCause() instanceof UnknownTopicOrPartitionException;
        }
    }

    private static <T> T get(KafkaFuture<T> future, long deadline, String what)
            throws Unreachable, Refused, InterruptedException {
        try {
            // the Admin client times the call out itself; the extra second only guards against a call it never ends
            return future.get(remaining(deadline) + 1000, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new Unreachable(what + " got no answer in time");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new Unreachable(what + " got no answer in time");
            }
            throw new Refused(what + " failed: " + message(cause));
        }
    }

    private static int remaining(long deadline) {
        return (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
    }

    private static String message(Throwable t) {
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /**
     * The Admin client logs every failed connection attempt at WARN; the command's own message says what matters.
     * Set before the first SLF4J logger is created; a -D on JAVA_OPTS wins.
     */
    private static void quietClientLogging() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "error");
        }
    }
}
