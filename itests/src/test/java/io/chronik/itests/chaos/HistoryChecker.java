package io.chronik.itests.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;

import io.chronik.itests.jvm.RawKafka;

/**
 * Checks the logs of a topic against a {@link History}, after the writers stopped and the faults healed. It waits until
 * every replica is in sync again, then reads every partition from <em>every in-sync replica separately</em> (a Fetch to
 * that node's own Kafka port: a follower answers after its ReadIndex barrier) and finds:
 * <ul>
 * <li><b>lost</b>: an acknowledged id that is not in the log;</li>
 * <li><b>misplaced</b>: an acknowledged id found at another partition or offset than acknowledged;</li>
 * <li><b>duplicated</b>: an id in the log more than once (acknowledged or not: writes are idempotent or single);</li>
 * <li><b>phantom</b>: a value in the log that no writer attempted;</li>
 * <li><b>gap</b>: offsets of a partition not contiguous from 0;</li>
 * <li><b>divergent</b>: an in-sync replica whose log differs from the leader's (the first differing offset is shown);</li>
 * <li><b>split brain</b>: writes acknowledged by two different nodes in one leader epoch of a partition (for writes
 * whose acknowledging node is known, see {@link NodeProbe});</li>
 * <li><b>not converged</b>: replicas not all in sync within the time given.</li>
 * </ul>
 * {@link Report#toString} is a readable report (counts, then the first problems with offsets); {@link Report#assertClean}
 * fails with it when any count is not zero. Blocking; call from the test thread.
 */
final class HistoryChecker {
    private static final int SHOWN = 15;

    private HistoryChecker() {
    }

    /** The outcome of one check. */
    static final class Report {
        final Map<String, List<String>> problems = new LinkedHashMap<>();
        final List<String> info = new ArrayList<>();

        Report() {
            for (String kind : List.of("lost", "misplaced", "duplicated", "phantom", "gap", "divergent", "split brain",
                    "not converged")) {
                problems.put(kind, new ArrayList<>());
            }
        }

        void add(String kind, String what) {
            problems.get(kind).add(what);
        }

        int total() {
            return problems.values().stream().mapToInt(List::size).sum();
        }

        int count(String kind) {
            return problems.get(kind).size();
        }

        void assertClean() {
            if (total() != 0) {
                throw new AssertionError("history check failed:\n" + this);
            }
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            info.forEach(line -> sb.append("  ").append(line).append('\n'));
            problems.forEach((kind, list) -> sb.append("  ").append(kind).append(": ").append(list.size()).append('\n'));
            problems.forEach((kind, list) -> list.stream().limit(SHOWN)
                    .forEach(p -> sb.append("    ").append(kind).append(": ").append(p).append('\n')));
            sb.append("  => ").append(total() == 0 ? "CLEAN" : total() + " PROBLEMS");
            return sb.toString();
        }
    }

    private record Found(int partition, long offset, int epoch) {
    }

    /**
     * Waits (at most {@code convergeMs}) for every replica of {@code topic} to be in sync, reads partitions
     * {@code 0..partitions-1} from each in-sync replica and checks them against {@code history}.
     */
    static Report check(ChaosCluster cluster, String topic, int partitions, History history, long convergeMs)
            throws Exception {
        Report report = new Report();
        long began = System.currentTimeMillis();
        try {
            cluster.awaitFullIsr(topic, convergeMs);
            report.info.add("replicas in sync " + (System.currentTimeMillis() - began) + " ms after the check began");
        } catch (AssertionError e) {
            report.add("not converged", e.getMessage());
        }
        report.info.add("writes: " + history);
        Map<String, List<Found>> found = new HashMap<>();
        List<TopicPartitionInfo> infos = cluster.partitions(topic);
        for (int p = 0; p < partitions; p++) {
            TopicPartitionInfo info = infos.get(p);
            int leader = info.leader() == null ? info.isr().get(0).id() : info.leader().id();
            List<Integer> isr = info.isr().stream().map(Node::id).sorted().toList();
            Map<Integer, List<RawKafka.Entry>> logs = new TreeMap<>();
            for (int node : isr) {
                try {
                    logs.put(node, RawKafka.readLog(cluster.directPort(node), topic, p, 0));
                } catch (Exception | AssertionError e) {
                    report.add("not converged", "partition " + p + ": in-sync replica " + node + " unreadable: " + e);
                }
            }
            List<RawKafka.Entry> reference = logs.getOrDefault(leader, logs.values().stream().findFirst().orElse(List.of()));
            report.info.add("partition " + p + ": leader " + leader + ", in sync " + isr + ", " + reference.size()
                    + " records" + (reference.isEmpty() ? "" : ", offsets " + reference.get(0).offset() + ".."
                    + reference.get(reference.size() - 1).offset()));
            for (Map.Entry<Integer, List<RawKafka.Entry>> e : logs.entrySet()) {
                compare(report, p, leader, reference, e.getKey(), e.getValue());
            }
            long expect = 0;
            for (RawKafka.Entry entry : reference) {
                if (entry.offset() != expect) {
                    report.add("gap", "partition " + p + ": offsets " + expect + ".." + (entry.offset() - 1) + " missing");
                }
                expect = entry.offset() + 1;
                found.computeIfAbsent(entry.value(), k -> new ArrayList<>()).add(new Found(p, entry.offset(), entry.epoch()));
            }
        }
        checkIds(report, history, found);
        checkSplitBrain(report, history, found);
        return report;
    }

    private static void compare(Report report, int p, int leader, List<RawKafka.Entry> reference, int node,
            List<RawKafka.Entry> log) {
        int n = Math.min(reference.size(), log.size());
        for (int i = 0; i < n; i++) {
            RawKafka.Entry a = reference.get(i);
            RawKafka.Entry b = log.get(i);
            if (a.offset() != b.offset() || !String.valueOf(a.value()).equals(String.valueOf(b.value()))) {
                report.add("divergent", "partition " + p + ": replica " + node + " differs from leader " + leader
                        + " at entry " + i + ": leader " + a + ", replica " + b);
                return;
            }
        }
        if (reference.size() != log.size()) {
            report.add("divergent", "partition " + p + ": replica " + node + " has " + log.size() + " records, leader "
                    + leader + " " + reference.size() + " (first extra: "
                    + (log.size() > n ? log.get(n) : reference.get(n)) + ")");
        }
    }

    private static void checkIds(Report report, History history, Map<String, List<Found>> found) {
        for (History.Ack a : history.acks()) {
            List<Found> at = found.getOrDefault(a.id(), List.of());
            if (at.isEmpty()) {
                report.add("lost", a.id() + " acknowledged at partition " + a.partition() + " offset " + a.offset()
                        + (a.node() > 0 ? " by node " + a.node() : ""));
            } else if (at.get(0).partition() != a.partition() || at.get(0).offset() != a.offset()) {
                report.add("misplaced", a.id() + " acknowledged at partition " + a.partition() + " offset " + a.offset()
                        + ", found at partition " + at.get(0).partition() + " offset " + at.get(0).offset());
            }
        }
        int unknownFound = 0;
        Map<String, String> failures = history.failures();
        for (Map.Entry<String, List<Found>> e : found.entrySet()) {
            if (e.getValue().size() > 1) {
                report.add("duplicated", e.getKey() + (history.ackOf(e.getKey()) != null ? " (acknowledged)" : "")
                        + " at " + e.getValue());
            }
            if (!history.wasAttempted(e.getKey())) {
                report.add("phantom", e.getKey() + " at " + e.getValue());
            }
            if (failures.containsKey(e.getKey())) {
                unknownFound++;
            }
        }
        report.info.add("failed writes (outcome unknown) found in the log: " + unknownFound + " of " + failures.size()
                + (failures.isEmpty() ? "" : "; e.g. " + failures.values().stream().distinct().limit(3).toList()));
    }

    /** No (partition, leader epoch) with writes acknowledged by two different nodes. */
    private static void checkSplitBrain(Report report, History history, Map<String, List<Found>> found) {
        Map<String, Set<Integer>> ackers = new TreeMap<>();
        for (History.Ack a : history.acks()) {
            List<Found> at = found.get(a.id());
            if (a.node() > 0 && at != null && !at.isEmpty()) {
                ackers.computeIfAbsent("partition " + a.partition() + " epoch " + at.get(0).epoch(), k -> new TreeSet<>())
                        .add(a.node());
            }
        }
        ackers.forEach((key, nodes) -> {
            if (nodes.size() > 1) {
                report.add("split brain", key + " acknowledged by nodes " + nodes);
            }
        });
        if (!ackers.isEmpty()) {
            report.info.add("acknowledging node per leader epoch: " + ackers);
        }
    }
}
