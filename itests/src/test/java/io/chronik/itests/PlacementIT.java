package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.message.MetadataResponseData;
import org.junit.Rule;
import org.junit.Test;

/**
 * A three-broker cluster (three processes) started with {@code --rack}: Metadata and DescribeCluster report the racks,
 * a topic created with an explicit replica assignment by the Java AdminClient has exactly that assignment in every
 * node's Metadata, automatic placement spreads replicas over racks, and bad assignments get Kafka's errors.
 */
public class PlacementIT {
    private static final String[] RACKS = {"rack-a", "rack-a", "rack-b"};

    @Rule
    public final ProcessCluster cluster = new ProcessCluster(3).nodeArgs(id -> List.of("--rack", RACKS[id - 1]));

    @Test
    public void racksAreReportedAndAssignmentsAreHonouredOnEveryNode() throws Exception {
        cluster.start();
        Map<Integer, String> racks = Map.of(1, RACKS[0], 2, RACKS[1], 3, RACKS[2]);
        try (Admin admin = cluster.admin()) {
            Map<Integer, String> described = new TreeMap<>();
            for (Node n : admin.describeCluster().nodes().get(30, TimeUnit.SECONDS)) {
                described.put(n.id(), n.rack());
            }
            assertEquals("DescribeCluster", racks, described);

            Map<Integer, List<Integer>> assignment = Map.of(0, List.of(3, 1), 1, List.of(2, 3), 2, List.of(1, 2), 3, List.of(3, 2));
            admin.createTopics(List.of(new NewTopic("assigned", assignment))).all().get(30, TimeUnit.SECONDS);
            TopicDescription d = admin.describeTopics(List.of("assigned")).allTopicNames().get(30, TimeUnit.SECONDS).get("assigned");
            assertEquals(assignment, replicasOf(d));

            admin.createTopics(List.of(new NewTopic("spread", 6, (short) 2))).all().get(30, TimeUnit.SECONDS);

            expectFailure(InvalidReplicaAssignmentException.class, () -> admin.createTopics(List.of(
                    new NewTopic("unknown-broker", Map.of(0, List.of(1, 9))))).all().get(30, TimeUnit.SECONDS));
            expectFailure(InvalidReplicaAssignmentException.class, () -> admin.createTopics(List.of(
                    new NewTopic("duplicate", Map.of(0, List.of(2, 2))))).all().get(30, TimeUnit.SECONDS));
            expectFailure(InvalidReplicaAssignmentException.class, () -> admin.createTopics(List.of(
                    new NewTopic("uneven", Map.of(0, List.of(1, 2), 1, List.of(3))))).all().get(30, TimeUnit.SECONDS));
            expectFailure(InvalidReplicationFactorException.class, () -> admin.createTopics(List.of(
                    new NewTopic("too-many", 1, (short) 4))).all().get(30, TimeUnit.SECONDS));

            for (int i = 0; i < 3; i++) {
                MetadataResponseData m = awaitTopics(cluster.kafkaPort(i + 1), "assigned", "spread");
                Map<Integer, String> brokerRacks = new TreeMap<>();
                m.brokers().forEach(b -> brokerRacks.put(b.nodeId(), b.rack()));
                assertEquals("Metadata brokers from node " + (i + 1), racks, brokerRacks);
                assertEquals("assignment seen by node " + (i + 1), assignment, NodeRequests.replicas(m, "assigned"));
                for (List<Integer> replicas : NodeRequests.replicas(m, "spread").values()) {
                    Set<String> used = new HashSet<>();
                    replicas.forEach(r -> used.add(racks.get(r)));
                    assertEquals("replicas " + replicas + " on distinct racks (node " + (i + 1) + ")", 2, used.size());
                }
                for (String refused : List.of("unknown-broker", "duplicate", "uneven", "too-many")) {
                    assertTrue(refused + " was created", NodeRequests.metadata(cluster.kafkaPort(i + 1), refused).topics().find(refused).errorCode() != 0);
                }
            }
        }
    }

    private interface Call {
        void run() throws Exception;
    }

    private static void expectFailure(Class<? extends Throwable> expected, Call call) throws Exception {
        try {
            call.run();
            fail("expected " + expected.getSimpleName());
        } catch (ExecutionException e) {
            assertEquals(e.getCause().toString(), expected, e.getCause().getClass());
        }
    }

    private static Map<Integer, List<Integer>> replicasOf(TopicDescription d) {
        Map<Integer, List<Integer>> replicas = new TreeMap<>();
        for (TopicPartitionInfo p : d.partitions()) {
            replicas.put(p.partition(), p.replicas().stream().map(Node::id).toList());
        }
        return replicas;
    }

    /** This node's Metadata once it knows every topic of {@code topics} (metadata reaches followers shortly after). */
    private static MetadataResponseData awaitTopics(int port, String... topics) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            MetadataResponseData m = NodeRequests.metadata(port, topics);
            if (m.topics().stream().allMatch(t -> t.errorCode() == 0) || System.currentTimeMillis() > deadline) {
                return m;
            }
            Thread.sleep(100);
        }
    }
}
