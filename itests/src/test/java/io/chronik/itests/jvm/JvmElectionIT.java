package io.chronik.itests.jvm;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.Rule;
import org.junit.Test;

import io.chronik.launcher.EmbeddedNode;

/**
 * Elections in an in-JVM cluster of three nodes (docs/in-jvm-cluster.md): a leader soon after start, a clean
 * start-up failure without a quorum, and a leader failover that loses no acknowledged record.
 */
public class JvmElectionIT {
    @Rule
    public final JvmCluster cluster = new JvmCluster(3);

    /** Whether node {@code id}'s Raft server is reachable: bound in the memory network, or its gRPC port open. */
    private boolean raftUp(int id) {
        if (cluster.isMemory()) {
            return cluster.network().isBound(cluster.node(id).raftAddress());
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", Integer.parseInt(cluster.node(id).raftAddress().split(":")[1])), 100);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The metadata group elects a leader within 2 s of a majority of Raft servers running, and a new topic's
     * partitions have leaders on every node within 2 s of CreateTopics. Measured from outside while the nodes start:
     * a thread polls every 5 ms whether each node's Raft server is reachable (bound in the memory network, or its
     * gRPC port open) and whether its consensus provider has registered its ClusterMetadata service, which it does
     * once the metadata group has a leader and the node's registration (one metadata entry) is committed, so that
     * time is an upper bound of the election. Both are also reported from the moment the frameworks started.
     */
    @Test
    public void leaderElectedWithin2sOfStart() throws Exception {
        cluster.prepare();
        Map<Integer, Long> raftUpAt = new ConcurrentHashMap<>();
        Map<Integer, Long> metadataAt = new ConcurrentHashMap<>();
        long t0 = System.currentTimeMillis();
        Thread monitor = new Thread(() -> {
            while (metadataAt.size() < 3 && System.currentTimeMillis() - t0 < 90_000) {
                for (int id : cluster.ids()) {
                    if (!raftUpAt.containsKey(id) && raftUp(id)) {
                        raftUpAt.put(id, System.currentTimeMillis());
                    }
                    if (!metadataAt.containsKey(id) && cluster.node(id).hasClusterMetadata()) {
                        metadataAt.put(id, System.currentTimeMillis());
                    }
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "election-monitor");
        monitor.start();
        cluster.startNodes(cluster.ids());
        long ready = System.currentTimeMillis();
        monitor.join(10_000);
        List<Long> ups = new ArrayList<>(raftUpAt.values());
        ups.sort(null);
        assertEquals("every Raft server was seen up: " + raftUpAt, 3, ups.size());
        assertTrue("a node registered with a metadata leader: " + metadataAt, !metadataAt.isEmpty());
        long quorumUp = ups.get(1);
        long leaderSeen = metadataAt.values().stream().min(Long::compare).orElseThrow();
        long election = leaderSeen - quorumUp;
        int controller = RawKafka.metadata(cluster.kafkaPort(1)).controllerId();
        System.out.printf("in-JVM cluster (%s): Raft servers up at %s ms after the frameworks started, a quorum at %d ms; "
                + "nodes registered with metadata leader %d at %s ms, the first %d ms after the quorum; all 3 nodes ready "
                + "(Kafka listeners open) at %d ms; nodes' own start times %s ms%n", cluster.transport(),
                raftUpAt.entrySet().stream().map(e -> e.getKey() + ":" + (e.getValue() - t0)).toList(), quorumUp - t0,
                controller, metadataAt.entrySet().stream().map(e -> e.getKey() + ":" + (e.getValue() - t0)).toList(),
                election, ready - t0, cluster.ids().stream().map(id -> cluster.node(id).startedInMillis()).toList());
        assertTrue("metadata leader " + election + " ms after a quorum of Raft servers ran (at most 2000)", election <= 2000);
        assertTrue("a controller is reported", controller >= 1);

        cluster.awaitBrokersEverywhere(cluster.ids());
        try (Admin admin = cluster.admin()) {
            long c0 = System.currentTimeMillis();
            admin.createTopics(List.of(new NewTopic("elect", 6, (short) 3))).all().get(20, TimeUnit.SECONDS);
            JvmCluster.await("every partition of 'elect' has a leader on every node", 20_000, () -> {
                for (int id : cluster.ids()) {
                    for (int p = 0; p < 6; p++) {
                        if (cluster.leader(id, "elect", p) < 0) {
                            return false;
                        }
                    }
                }
                return true;
            });
            long partitionLeaders = System.currentTimeMillis() - c0;
            System.out.printf("in-JVM cluster: 6 new partitions led on every node %d ms after CreateTopics%n", partitionLeaders);
            assertTrue("partition leaders " + partitionLeaders + " ms after CreateTopics (at most 2000)", partitionLeaders <= 2000);
        }
    }

    /**
     * One node of three cannot form a quorum: its start gives up after the ready timeout with a one-line reason, stops
     * its framework, frees its ports, Raft address and data directory, and the same node starts normally afterwards
     * with the others.
     */
    @Test
    public void startupTimesOutCleanlyWithoutQuorum() throws Exception {
        cluster.prepare();
        JvmCluster.JvmNode n = cluster.node(1);
        long t0 = System.nanoTime();
        try {
            cluster.startNode(1, 3000);
            fail("node 1 started without a quorum");
        } catch (EmbeddedNode.StartFailure e) {
            long ms = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("start-up without a quorum failed after %d ms: %s%n", ms, e.getMessage());
            assertTrue("gave up within the 3 s timeout plus a clean stop (took " + ms + " ms)", ms >= 3000 && ms < 10_000);
            assertFalse("a reason is given", e.getMessage() == null || e.getMessage().isBlank());
        }
        assertFalse(n.isRunning());
        assertFalse("the data directory is unlocked", JvmCluster.isLocked(n.dataDir()));
        if (cluster.isMemory()) {
            assertFalse("the Raft address is unbound", cluster.network().isBound(n.raftAddress()));
        }
        for (int port : new int[] {n.kafkaPort(), Integer.parseInt(n.raftAddress().split(":")[1])}) {
            try (ServerSocket s = new ServerSocket()) {
                s.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
        cluster.startNodes(cluster.ids());
        cluster.awaitBrokersEverywhere(cluster.ids());
    }

    /**
     * The leader of a partition is killed while an idempotent producer writes: another replica takes over, the
     * producer goes on, and every acknowledged record is in the new leader's and the other survivor's log exactly
     * once, and in the killed node's log once it is back.
     */
    @Test
    public void leaderFailoverLosesNoAcknowledgedRecord() throws Exception {
        cluster.start();
        String topic = "failover";
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 3))).all().get(20, TimeUnit.SECONDS);
        }
        cluster.awaitFullyReplicated(topic, 20_000);
        int leader = cluster.leader(1, topic, 0);
        try (Records.BackgroundProducer producer = new Records.BackgroundProducer(cluster.producer(), topic, 1, "f", 50)) {
            producer.awaitAcks(0, 300, 20_000);
            long before = producer.ackCount.get();
            long k0 = System.nanoTime();
            cluster.kill(leader);
            List<Integer> survivors = cluster.running();
            int[] newLeader = {-1};
            JvmCluster.await("a new leader on both survivors", 20_000, () -> {
                int l = cluster.leader(survivors.get(0), topic, 0);
                newLeader[0] = l;
                return l >= 0 && l != leader && cluster.leader(survivors.get(1), topic, 0) == l;
            });
            long failoverMs = (System.nanoTime() - k0) / 1_000_000;
            producer.awaitAcks(producer.ackCount.get(), 300, 20_000);
            producer.stop();
            System.out.printf("failover: node %d killed after %d acks, node %d leads %d ms later; %d acknowledged in all, "
                    + "%d sends failed%n", leader, before, newLeader[0], failoverMs, producer.ackCount.get(), producer.failures.get());
            assertNotEquals(leader, newLeader[0]);
            List<RawKafka.Entry> log = Records.awaitSameLog(cluster, topic, 0, survivors, 10_000);
            Records.assertHoldsExactlyOnce("survivors' log", log, producer.acked(0));

            cluster.restart(leader);
            cluster.awaitFullyReplicated(topic, 30_000);
            List<RawKafka.Entry> all = Records.awaitSameLog(cluster, topic, 0, cluster.ids(), 20_000);
            Records.assertHoldsExactlyOnce("every replica's log after the restart", all, producer.acked(0));
        }
    }
}
