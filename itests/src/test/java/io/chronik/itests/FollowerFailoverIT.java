package io.chronik.itests;

import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.junit.Rule;
import org.junit.Test;

/**
 * Follower reads when a node fails, on three processes in racks r1, r2, r3 with a 3 s session timeout: consumers
 * reading from followers while an idempotent producer ({@code acks=all}) writes go on when the follower they read
 * from freezes or is killed, or when the leader is killed — no exception reaches the application, and each reads
 * every acknowledged record once, at its acknowledged offset, in order.
 */
public class FollowerFailoverIT {
    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(FollowerFetchSupport::rackOf)
            .args("--session-timeout-ms", "3000");

    /**
     * A consumer in r2 reads a partition led by node 1 from node 2; node 2 freezes (SIGSTOP: its sockets stay open and
     * nothing answers, as behind a partition). The consumer's fetches to it time out and it reads on from the leader;
     * when node 2 resumes and is in sync again, the leader sends the consumer back to it.
     */
    @Test
    public void aConsumerWhoseFollowerFreezesReadsOnFromTheLeaderAndReturns() throws Exception {
        readThroughAFollowerOutage("frozen", () -> cluster.freeze(2), () -> cluster.thaw(2));
    }

    /**
     * As above with node 2 killed (SIGKILL: the consumer's connection breaks at once) and restarted: the restarted
     * follower serves the consumer again only what it has caught up with.
     */
    @Test
    public void aConsumerWhoseFollowerIsKilledReadsOnFromTheLeaderAndReturns() throws Exception {
        readThroughAFollowerOutage("killed", () -> cluster.kill(2), () -> cluster.restart(2));
    }

    /** Something done to node 2, and what undoes it. */
    private interface Step {
        void run() throws Exception;
    }

    private void readThroughAFollowerOutage(String topic, Step outage, Step recovery) throws Exception {
        cluster.start();
        List<TopicPartition> tps = FollowerFetchSupport.createLedByNode1(cluster, topic, 1);
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), topic, tps, 200);
             RackReader reader = new RackReader(cluster.bootstrap(), "r2", tps)) {
            load.awaitProgress(300, 30_000);
            ProcessCluster.await("the r2 consumer reads from node 2", 30_000,
                    () -> reader.read() > 200 && reader.bytesFrom(2) > 10_000,
                    () -> "read " + reader.read() + ", bytes from node 1: " + reader.bytesFrom(1) + ", node 2: " + reader.bytesFrom(2));
            double fromLeader = reader.bytesFrom(1);

            long began = System.currentTimeMillis();
            long ended;
            outage.run();
            try {
                load.awaitProgress(1_000, 60_000);
                reader.awaitAcknowledged(load, 60_000);
                System.out.println("caught up from the leader " + (System.currentTimeMillis() - began) + " ms into the outage");
                assertTrue("read " + (reader.bytesFrom(1) - fromLeader) + " bytes from the leader during the outage",
                        reader.bytesFrom(1) - fromLeader > 10_000);
            } finally {
                ended = System.currentTimeMillis();
                recovery.run();
            }
            // node 2 comes back (unfenced, caught up, in sync again) and the leader sends the consumer back to it
            long recovered = System.currentTimeMillis();
            double fromFollower = reader.bytesFrom(2);
            ProcessCluster.await("the r2 consumer reads from node 2 again", 60_000,
                    () -> reader.bytesFrom(2) - fromFollower > 10_000,
                    () -> "bytes from node 1: " + reader.bytesFrom(1) + ", node 2: " + reader.bytesFrom(2));
            System.out.println("back on node 2 " + (System.currentTimeMillis() - recovered) + " ms after the recovery step ("
                    + (recovered - ended) + " ms) returned");
            load.awaitProgress(200, 30_000);
            load.stop();
            reader.awaitAcknowledged(load, 60_000);
            System.out.println(reader.assertReadExactlyOnce(load) + "; bytes from node 1: " + reader.bytesFrom(1)
                    + ", node 2: " + reader.bytesFrom(2));
        }
    }

    /**
     * Consumers in r1, r2 and r3 read two partitions led by node 1 (from node 1, 2 and 3: each its own rack's replica)
     * while the producer writes; node 1 is killed (SIGKILL). Each consumer turns to the new leader or stays on its
     * follower and reads every acknowledged record exactly once; the log holds each exactly once.
     */
    @Test
    public void consumersOnFollowersReadEveryAcknowledgedRecordOnceAcrossALeaderKill() throws Exception {
        cluster.start();
        List<TopicPartition> tps = FollowerFetchSupport.createLedByNode1(cluster, "failover", 2);
        List<RackReader> readers = new ArrayList<>();
        try (LoadProducer load = new LoadProducer(cluster.bootstrap(), "failover", tps, 300)) {
            try {
                for (int id = 1; id <= 3; id++) {
                    readers.add(new RackReader(cluster.bootstrap(), "r" + id, tps));
                }
                load.awaitProgress(300, 30_000);
                for (int id = 1; id <= 3; id++) {
                    RackReader reader = readers.get(id - 1);
                    int node = id;
                    ProcessCluster.await("the r" + id + " consumer reads from node " + id, 30_000,
                            () -> reader.read() > 200 && reader.bytesFrom(node) > 10_000,
                            () -> "read " + reader.read() + ", bytes from nodes 1, 2, 3: " + reader.bytesFrom(1) + ", "
                                    + reader.bytesFrom(2) + ", " + reader.bytesFrom(3));
                }

                cluster.kill(1);
                load.awaitProgress(1_000, 60_000);
                load.stop();
                for (RackReader reader : readers) {
                    reader.awaitAcknowledged(load, 60_000);
                }
                for (RackReader reader : readers) {
                    System.out.println(reader.assertReadExactlyOnce(load) + "; bytes from nodes 1, 2, 3: " + reader.bytesFrom(1)
                            + ", " + reader.bytesFrom(2) + ", " + reader.bytesFrom(3));
                }
                System.out.println(LoadVerifier.assertExactlyOnce(cluster.bootstrap(), load, 60_000));
            } finally {
                for (RackReader reader : readers) {
                    reader.close();
                }
            }
        }
    }
}
