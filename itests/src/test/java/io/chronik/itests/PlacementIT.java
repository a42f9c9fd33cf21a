package io.chronik.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.InvalidReplicaAssignmentException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.MetadataResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.RequestHeader;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.After;
import org.junit.Test;

/**
 * A three-broker cluster (three processes) started with {@code --rack}: Metadata and DescribeCluster report the racks,
 * a topic created with an explicit replica assignment by the Java AdminClient has exactly that assignment in every
 * node's Metadata, automatic placement spreads replicas over racks, and bad assignments get Kafka's errors.
 */
public class PlacementIT {
    private static final String[] RACKS = {"rack-a", "rack-a", "rack-b"};
    private final List<ChronikProcess> nodes = new ArrayList<>();
    private final int[] kafkaPorts = new int[3];

    @After
    public void stopNodes() throws InterruptedException {
        for (ChronikProcess p : nodes) {
            p.close();
        }
    }

    @Test
    public void racksAreReportedAndAssignmentsAreHonouredOnEveryNode() throws Exception {
        Path home = ChronikProcess.copyDistribution();
        int[] raftPorts = new int[3];
        StringBuilder peers = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            kafkaPorts[i] = ContainerSupport.freePort();
            raftPorts[i] = ContainerSupport.freePort();
            peers.append(i == 0 ? "" : ",").append(i + 1).append("@127.0.0.1:").append(raftPorts[i]);
        }
        for (int i = 0; i < 3; i++) {
            Path data = Files.createTempDirectory("chronik-placement" + (i + 1));
            nodes.add(ChronikProcess.run(home, "start", "--node-id", Integer.toString(i + 1), "--data-dir", data.toString(),
                    "--kafka-addr", "127.0.0.1:" + kafkaPorts[i], "--advertised-addr", "127.0.0.1:" + kafkaPorts[i],
                    "--raft-addr", "127.0.0.1:" + raftPorts[i], "--metrics-addr", "127.0.0.1:" + ContainerSupport.freePort(),
                    "--peers", peers.toString(), "--flush-policy", "os", "--rack", RACKS[i]));
        }
        for (ChronikProcess n : nodes) {
            n.awaitLine("started in", 90_000);
        }
        Map<Integer, String> racks = Map.of(1, RACKS[0], 2, RACKS[1], 3, RACKS[2]);
        try (Admin admin = admin()) {
            awaitBrokers(admin);
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
                MetadataResponseData m = awaitTopics(kafkaPorts[i], "assigned", "spread");
                Map<Integer, String> brokerRacks = new TreeMap<>();
                m.brokers().forEach(b -> brokerRacks.put(b.nodeId(), b.rack()));
                assertEquals("Metadata brokers from node " + (i + 1), racks, brokerRacks);
                assertEquals("assignment seen by node " + (i + 1), assignment, replicasOf(m, "assigned"));
                for (List<Integer> replicas : replicasOf(m, "spread").values()) {
                    Set<String> used = new HashSet<>();
                    replicas.forEach(r -> used.add(racks.get(r)));
                    assertEquals("replicas " + replicas + " on distinct racks (node " + (i + 1) + ")", 2, used.size());
                }
                for (String refused : List.of("unknown-broker", "duplicate", "uneven", "too-many")) {
                    assertTrue(refused + " was created", metadata(kafkaPorts[i], refused).topics().find(refused).errorCode() != 0);
                }
            }
        }
    }

    private Admin admin() {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPorts[0] + ",127.0.0.1:" + kafkaPorts[1]);
        return Admin.create(p);
    }

    private static void awaitBrokers(Admin admin) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        while (admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size() < 3) {
            assertTrue("three brokers registered", System.currentTimeMillis() < deadline);
            Thread.sleep(100);
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

    private static Map<Integer, List<Integer>> replicasOf(MetadataResponseData m, String topic) {
        Map<Integer, List<Integer>> replicas = new TreeMap<>();
        for (MetadataResponseData.MetadataResponsePartition p : m.topics().find(topic).partitions()) {
            replicas.put(p.partitionIndex(), p.replicaNodes());
        }
        return replicas;
    }

    /** This node's Metadata once it knows every topic of {@code topics} (metadata reaches followers shortly after). */
    private static MetadataResponseData awaitTopics(int port, String... topics) throws Exception {
        long deadline = System.currentTimeMillis() + 15_000;
        while (true) {
            MetadataResponseData m = metadata(port, topics);
            if (m.topics().stream().allMatch(t -> t.errorCode() == 0) || System.currentTimeMillis() > deadline) {
                return m;
            }
            Thread.sleep(100);
        }
    }

    /** One Metadata request (v12) sent to exactly the broker at {@code port}, not to whichever the client picks. */
    private static MetadataResponseData metadata(int port, String... topics) throws Exception {
        short version = 12;
        MetadataRequestData data = new MetadataRequestData().setAllowAutoTopicCreation(false);
        for (String t : topics) {
            data.topics().add(new MetadataRequestData.MetadataRequestTopic().setName(t));
        }
        ByteBuffer request = new MetadataRequest.Builder(data).build(version)
                .serializeWithHeader(new RequestHeader(ApiKeys.METADATA, version, "placement-it", 1));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            byte[] bytes = new byte[request.remaining()];
            request.get(bytes);
            out.writeInt(bytes.length);
            out.write(bytes);
            out.flush();
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] response = new byte[in.readInt()];
            in.readFully(response);
            ByteBuffer buf = ByteBuffer.wrap(response);
            ResponseHeader.parse(buf, ApiKeys.METADATA.responseHeaderVersion(version));
            return new MetadataResponseData(new ByteBufferAccessor(buf), version);
        }
    }
}
