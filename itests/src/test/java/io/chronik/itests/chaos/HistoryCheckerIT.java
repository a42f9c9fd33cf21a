package io.chronik.itests.chaos;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.message.ProduceResponseData;
import org.junit.Rule;
import org.junit.Test;

import io.chronik.itests.jvm.RawKafka;

/**
 * The {@link HistoryChecker} finds what it is meant to find: on a healthy three-process cluster, faults are planted in
 * the log and in the history by hand, and the report must count exactly those.
 */
public class HistoryCheckerIT {
    private static final String TOPIC = "chaos-checker";

    @Rule
    public final ChaosCluster cluster = new ChaosCluster(3);

    /**
     * After 200 idempotent writes to two partitions: a second copy of the acknowledged id {@code w-4} is written to its
     * partition (duplicated), a value no writer attempted is written (phantom), an id is recorded as acknowledged at an
     * offset that holds another record (lost, since it is nowhere), and two records written to the leader in one
     * epoch are recorded as acknowledged by two different nodes (split brain).
     *
     * <p>Pass rule: the report counts lost 1, duplicated 1, phantom 1, split brain 1, and zero of every other kind.
     */
    @Test
    public void theCheckerReportsPlantedFaults() throws Exception {
        cluster.start();
        cluster.createTopic(TOPIC, 2);
        History history = new History();
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1), 200, history,
                30_000)) {
            writer.awaitProgress(200, 30_000);
        }
        int leader = cluster.leader(TOPIC, 0);
        int other = cluster.ids().stream().filter(id -> id != leader).findFirst().orElseThrow();
        int port = cluster.proxyPort(leader);
        // w-4 went to partition 0 (round-robin over [0, 1]): a second copy there, not in the history
        assertEquals(0, history.ackOf("w-4").partition());
        assertEquals(0, RawKafka.only(RawKafka.produce(port, TOPIC, 0, 5_000, "w-4")).errorCode());
        assertEquals(0, RawKafka.only(RawKafka.produce(port, TOPIC, 0, 5_000, "intruder")).errorCode());
        history.attempt("ghost");
        history.ack("ghost", 0, 0, -1);
        for (String id : List.of("sb-1", "sb-2")) {
            history.attempt(id);
            ProduceResponseData.PartitionProduceResponse r = RawKafka.only(RawKafka.produce(port, TOPIC, 0, 5_000, id));
            assertEquals(0, r.errorCode());
            history.ack(id, 0, r.baseOffset(), id.equals("sb-1") ? leader : other);
        }
        HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 2, history, 60_000);
        System.out.println("HistoryCheckerIT planted faults; history check:\n" + report);
        Map<String, Integer> counts = new TreeMap<>();
        report.problems.forEach((kind, list) -> counts.put(kind, list.size()));
        assertEquals(report.toString(), new TreeMap<>(Map.of("lost", 1, "misplaced", 0, "duplicated", 1, "phantom", 1,
                "gap", 0, "divergent", 0, "split brain", 1, "not converged", 0)), counts);
    }
}
