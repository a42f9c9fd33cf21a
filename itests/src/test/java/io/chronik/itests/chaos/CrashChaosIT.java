package io.chronik.itests.chaos;

import static org.junit.Assert.assertEquals;

import java.util.List;

import org.junit.Rule;
import org.junit.Test;

/**
 * Node crashes and restarts in a three-process cluster under an idempotent producer ({@code acks=all}), checked by
 * {@link HistoryChecker}. Every test prints its history report and its duration.
 */
public class CrashChaosIT {
    private static final String TOPIC = "chaos-crash";

    @Rule
    public final ChaosCluster cluster = new ChaosCluster(3).args("--session-timeout-ms", "3000",
            "--auto-leader-rebalance-enable", "false");

    /**
     * The leader of partition 0 is SIGKILLed while the producer writes 300 records/s to three partitions, and restarted
     * once 1,000 more writes were acknowledged.
     *
     * <p>Pass rule: writes go on without the killed node (1,000 more acknowledged within 60 s of the kill); after its
     * restart every replica is in sync again and the history check is clean (nothing acknowledged lost or
     * duplicated, offsets contiguous, replicas identical).
     */
    @Test
    public void killingALeaderUnderLoadLosesNothing() throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        cluster.createTopic(TOPIC, 3);
        History history = new History();
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 300, history,
                60_000)) {
            writer.awaitProgress(500, 30_000);
            int victim = cluster.leader(TOPIC, 0);
            long killed = System.currentTimeMillis();
            cluster.kill(victim);
            writer.awaitProgress(1_000, 60_000);
            long resumed = System.currentTimeMillis() - killed;
            cluster.restart(victim);
            writer.awaitProgress(300, 60_000);
            writer.stop();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("CrashChaosIT killed leader " + victim + "; 1,000 writes acknowledged " + resumed
                    + " ms after the kill; history check:\n" + report);
            report.assertClean();
        } finally {
            System.out.println("CrashChaosIT.killingALeaderUnderLoadLosesNothing took " + (System.currentTimeMillis() - t0) + " ms");
        }
    }

    /**
     * Cascading failure: SIGKILL one node (writes go on), then a second (no quorum: nothing may be acknowledged), then
     * the third; then all three restart together.
     *
     * <p>Pass rule: with one node down 300 more writes are acknowledged; from 3 s after the second kill (a write
     * already committed may still be answered) until the restart not one write is acknowledged; after the restart
     * writes are acknowledged again, every replica is in sync, and the history check is clean — nothing acknowledged
     * before, during or after the outage is lost or duplicated.
     */
    @Test
    public void cascadingFailureRefusesWritesWithoutQuorumAndLosesNothing() throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        cluster.createTopic(TOPIC, 3);
        History history = new History();
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 200, history,
                120_000)) {
            writer.awaitProgress(300, 30_000);
            cluster.kill(1);
            writer.awaitProgress(300, 60_000);
            cluster.kill(2);
            long noQuorum = System.currentTimeMillis();
            Thread.sleep(3_000);
            long ackedThen = writer.acked();
            Thread.sleep(7_000);
            long ackedWithoutQuorum = writer.acked() - ackedThen;
            cluster.kill(3);
            long outage = System.currentTimeMillis();
            List<History.Ack> lateAcks = history.acks().stream().filter(a -> a.atMillis() > noQuorum + 3_000).toList();
            cluster.restartAll(List.of(1, 2, 3));
            long restarted = System.currentTimeMillis() - outage;
            writer.awaitProgress(300, 90_000);
            writer.stop();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("CrashChaosIT cascading: acknowledged without quorum " + ackedWithoutQuorum
                    + "; all three restarted in " + restarted + " ms; history check:\n" + report);
            assertEquals("writes acknowledged without a quorum: " + lateAcks.stream().limit(5).toList(), 0, lateAcks.size());
            report.assertClean();
        } finally {
            System.out.println("CrashChaosIT.cascadingFailure... took " + (System.currentTimeMillis() - t0) + " ms");
        }
    }

    /**
     * Rolling restart under load: each node in turn is stopped (SIGTERM), restarted, and the test waits until it is in
     * sync again before the next, while the producer writes 200 records/s.
     *
     * <p>Pass rule: every node rejoins the ISR of every partition within 60 s of its restart, writes are acknowledged
     * throughout (100 more after each restart), and the history check is clean.
     */
    @Test
    public void rollingRestartUnderLoadLosesNothing() throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        cluster.createTopic(TOPIC, 3);
        History history = new History();
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 200, history,
                60_000)) {
            writer.awaitProgress(300, 30_000);
            for (int id : cluster.ids()) {
                cluster.stop(id);
                writer.awaitProgress(100, 60_000);
                cluster.restart(id);
                cluster.awaitFullIsr(TOPIC, 60_000);
                writer.awaitProgress(100, 60_000);
            }
            writer.stop();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("CrashChaosIT rolling restart; history check:\n" + report);
            report.assertClean();
        } finally {
            System.out.println("CrashChaosIT.rollingRestartUnderLoadLosesNothing took " + (System.currentTimeMillis() - t0) + " ms");
        }
    }
}
