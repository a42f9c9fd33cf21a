package io.chronik.itests.chaos;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.Rule;
import org.junit.Test;

/**
 * Slow, flaky and half-open connections in a three-process cluster (see {@link ChaosCluster}) under an idempotent
 * producer ({@code acks=all}), checked by {@link HistoryChecker}. Every test prints its history report and duration.
 */
public class SlowNetworkChaosIT {
    private static final String TOPIC = "chaos-net";
    private static final long FAULT_MS = 20_000;

    @Rule
    public final ChaosCluster cluster = new ChaosCluster(3).args("--session-timeout-ms", "3000",
            "--auto-leader-rebalance-enable", "false");

    /**
     * Every Raft link delays every buffer by 100 ms ± 30 ms (uniform jitter), both directions, for 20 s while the
     * producer writes 100 records/s to three partitions.
     *
     * <p>Pass rule: acks=all writes keep succeeding — at least 1,000 acknowledged during the 20 s and not one write
     * failed — and after the latency is removed the history check is clean.
     */
    @Test
    public void writesKeepSucceedingWithLatencyOnRaftLinks() throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        cluster.createTopic(TOPIC, 3);
        History history = new History();
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 100, history,
                60_000)) {
            writer.awaitProgress(200, 30_000);
            cluster.raftLinks().forEach(p -> p.latency(100, 30));
            long before = writer.acked();
            Thread.sleep(FAULT_MS);
            long during = writer.acked() - before;
            cluster.healAll();
            writer.awaitProgress(200, 30_000);
            writer.stop();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("SlowNetworkChaosIT latency: " + during + " writes acknowledged in " + FAULT_MS
                    + " ms with 100 ± 30 ms on every Raft link; history check:\n" + report);
            report.assertClean();
            assertTrue("only " + during + " writes acknowledged under latency", during >= 1_000);
            assertEquals("failed writes: " + history.failures(), 0, history.failures().size());
        } finally {
            System.out.println("SlowNetworkChaosIT.writesKeepSucceedingWithLatencyOnRaftLinks took "
                    + (System.currentTimeMillis() - t0) + " ms");
        }
    }

    /**
     * For 20 s, every 250 ms one open client connection chosen at random among the three Kafka proxies is closed, so
     * both ends see it reset, while the producer writes 150 records/s.
     *
     * <p>Pass rule: writes go on (at least 500 acknowledged during the 20 s) and the history check afterwards is
     * clean: a reset may fail a write (outcome unknown) but never loses or duplicates an acknowledged one.
     */
    @Test
    public void randomResetsOfClientConnectionsLoseNothing() throws Exception {
        resetAtRandom(false);
    }

    /**
     * As {@link #randomResetsOfClientConnectionsLoseNothing}, with the connection chosen among all nine proxies (six
     * Raft links, three Kafka ports).
     *
     * <p>Pass rule: as above, and every replica is back in sync within 120 s after the resets stop.
     */
    @Test
    public void randomResetsOfRaftAndClientConnectionsLoseNothing() throws Exception {
        resetAtRandom(true);
    }

    private void resetAtRandom(boolean raftToo) throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        String what = raftToo ? "raft+client" : "client";
        List<ChaosProxy> proxies = new ArrayList<>(cluster.kafkaProxies());
        if (raftToo) {
            proxies.addAll(cluster.raftLinks());
        }
        cluster.createTopic(TOPIC, 3);
        History history = new History();
        long seed = System.nanoTime();
        Random random = new Random(seed);
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 150, history,
                60_000)) {
            writer.awaitProgress(200, 30_000);
            long before = writer.acked();
            int resets = 0;
            long end = System.currentTimeMillis() + FAULT_MS;
            while (System.currentTimeMillis() < end) {
                if (proxies.get(random.nextInt(proxies.size())).resetOne(random)) {
                    resets++;
                }
                Thread.sleep(250);
            }
            long during = writer.acked() - before;
            writer.awaitProgress(200, 60_000);
            writer.stop();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("SlowNetworkChaosIT " + what + " resets (seed " + seed + "): " + resets
                    + " connections reset, " + during + " writes acknowledged meanwhile; history check:\n" + report);
            report.assertClean();
            assertTrue("only " + during + " writes acknowledged during the resets", during >= 500);
        } finally {
            System.out.println("SlowNetworkChaosIT " + what + " resets took " + (System.currentTimeMillis() - t0) + " ms");
        }
    }

    /**
     * Slow and half-open connections for 20 s: clients reach the leader of partition 0 through 200 ms ± 50 ms of latency
     * on its Kafka port, and the Raft link from that leader to one follower is half-open — the leader's requests
     * arrive, the follower's responses are swallowed, and neither end sees the connection close. Then both heal (the
     * half-open connections are reset).
     *
     * <p>Pass rule: writes go on through the slow link with the other follower as the quorum (at least 500
     * acknowledged during the 20 s), and after the heal every replica is in sync and the history check is clean.
     */
    @Test
    public void slowAndHalfOpenConnectionsLoseNothing() throws Exception {
        long t0 = System.currentTimeMillis();
        cluster.start();
        cluster.createTopic(TOPIC, 3);
        History history = new History();
        try (HistoryWriter writer = new HistoryWriter(cluster.bootstrap(), "w", TOPIC, List.of(0, 1, 2), 150, history,
                60_000)) {
            writer.awaitProgress(200, 30_000);
            int leader = cluster.leader(TOPIC, 0);
            int follower = cluster.ids().stream().filter(id -> id != leader).findFirst().orElseThrow();
            long before = writer.acked();
            cluster.kafkaProxy(leader).latency(200, 50);
            cluster.raftLink(leader, follower).dropOneWay(false);
            Thread.sleep(FAULT_MS);
            long during = writer.acked() - before;
            cluster.healAll();
            writer.awaitProgress(200, 60_000);
            writer.stop();
            HistoryChecker.Report report = HistoryChecker.check(cluster, TOPIC, 3, history, 120_000);
            System.out.println("SlowNetworkChaosIT slow/half-open: leader " + leader + ", half-open link to " + follower + "; "
                    + during + " writes acknowledged during the fault; history check:\n" + report);
            report.assertClean();
            assertTrue("only " + during + " writes acknowledged during the fault", during >= 500);
        } finally {
            System.out.println("SlowNetworkChaosIT.slowAndHalfOpenConnectionsLoseNothing took " + (System.currentTimeMillis() - t0) + " ms");
        }
    }
}
