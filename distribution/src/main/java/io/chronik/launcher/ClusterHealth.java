package io.chronik.launcher;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The health of a cluster as a Kafka client sees it ({@code chronik cluster health}): a pure function from what
 * DescribeCluster and DescribeTopics answered ({@link State}) to a {@link Report} and its exit code. No I/O; the
 * records are immutable and may be used from any thread.
 *
 * <p>The cluster is unhealthy ({@link #UNHEALTHY}) when any registered broker is fenced, any partition is offline (no
 * leader, or a leader that is not a live broker) or under-replicated (it has a leader but its ISR is smaller than its
 * replica set), or there is no controller (metadata-group leader). Partitions led by a replica other than their
 * preferred one (the first replica) are reported but do not make it unhealthy: leadership moves back on its own or
 * with {@code kafka-leader-election}, and the data is fully available meanwhile.
 */
final class ClusterHealth {
    /** Exit code: healthy. */
    static final int HEALTHY = 0;
    /** Exit code: reachable but unhealthy (see {@link Report#problems}). */
    static final int UNHEALTHY = 1;
    /** Exit code: no answer from the bootstrap brokers within the timeout. */
    static final int UNREACHABLE = 3;

    private ClusterHealth() {
    }

    /** A registered broker; {@code rack} is null without {@code --rack}. */
    record Broker(int id, String host, int port, String rack, boolean fenced) {
    }

    /** A partition; {@code leader} is -1 when it has none; replica and ISR lists are node ids, in their order. */
    record Partition(String topic, int partition, int leader, List<Integer> replicas, List<Integer> isr) {
        Partition {
            replicas = List.copyOf(replicas);
            isr = List.copyOf(isr);
        }

        /** {@code topic-partition}, as Kafka's tools name it. */
        String name() {
            return topic + "-" + partition;
        }

        /** The first replica, or -1 for a partition without replicas. */
        int preferred() {
            return replicas.isEmpty() ? -1 : replicas.get(0);
        }
    }

    /** What the cluster answered: its id, controller (-1 for none), every broker (fenced too), every partition. */
    record State(String clusterId, int controller, List<Broker> brokers, List<Partition> partitions) {
        State {
            brokers = brokers.stream().sorted(Comparator.comparingInt(Broker::id)).toList();
            partitions = partitions.stream().sorted(Comparator.comparing(Partition::topic)
                    .thenComparingInt(Partition::partition)).toList();
        }
    }

    /**
     * The evaluation of a {@link State}.
     *
     * @param leadersPerBroker  the number of partitions each broker leads, every live broker listed (0 included),
     *                          by broker id
     * @param notPreferred      partitions with a leader that is not their first replica
     * @param underReplicated   partitions with a leader whose ISR is smaller than their replica set
     * @param offline           partitions without a leader, or led by a broker that is not live
     * @param problems          one line per unhealthy condition; empty when healthy
     */
    record Report(State state, Map<Integer, Integer> leadersPerBroker, List<Partition> notPreferred,
                  List<Partition> underReplicated, List<Partition> offline, List<String> problems) {

        boolean healthy() {
            return problems.isEmpty();
        }

        int exitCode() {
            return healthy() ? HEALTHY : UNHEALTHY;
        }

        List<Broker> fenced() {
            return state.brokers().stream().filter(Broker::fenced).toList();
        }
    }

    /** Evaluates {@code state}. */
    static Report evaluate(State state) {
        Set<Integer> live = state.brokers().stream().filter(b -> !b.fenced()).map(Broker::id).collect(Collectors.toSet());
        Map<Integer, Integer> leaders = new TreeMap<>();
        live.forEach(id -> leaders.put(id, 0));
        List<Partition> notPreferred = new ArrayList<>();
        List<Partition> under = new ArrayList<>();
        List<Partition> offline = new ArrayList<>();
        for (Partition p : state.partitions()) {
            if (p.leader() < 0 || !live.contains(p.leader())) {
                offline.add(p);
                continue;
            }
            leaders.merge(p.leader(), 1, Integer::sum);
            if (p.leader() != p.preferred()) {
                notPreferred.add(p);
            }
            if (p.isr().size() < p.replicas().size()) {
                under.add(p);
            }
        }
        List<String> problems = new ArrayList<>();
        List<Broker> fenced = state.brokers().stream().filter(Broker::fenced).toList();
        if (!fenced.isEmpty()) {
            problems.add(count(fenced.size(), "fenced broker") + " ("
                    + fenced.stream().map(b -> Integer.toString(b.id())).collect(Collectors.joining(", ")) + ")");
        }
        if (!offline.isEmpty()) {
            problems.add(count(offline.size(), "offline partition"));
        }
        if (!under.isEmpty()) {
            problems.add(count(under.size(), "under-replicated partition"));
        }
        if (state.controller() < 0) {
            problems.add("no controller");
        }
        return new Report(state, leaders, notPreferred, under, offline, problems);
    }

    /** "1 fenced broker", "3 fenced brokers". */
    static String count(int n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }
}
