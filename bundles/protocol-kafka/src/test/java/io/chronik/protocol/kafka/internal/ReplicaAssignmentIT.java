package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableReplicaAssignment;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

/**
 * CreateTopics and CreatePartitions with explicit replica assignments against the in-memory cluster (one broker,
 * node 1): the assignment is honoured, and bad assignments get Kafka's error codes.
 */
public class ReplicaAssignmentIT {
    private static InMemoryCluster cluster;
    private static KafkaServer server;

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
    }

    @AfterClass
    public static void stop() {
        server.close();
        cluster.close();
    }

    private static CreatableTopic assigned(String name, int partitions, int rf, List<List<Integer>> lists) {
        CreatableTopic t = new CreatableTopic().setName(name).setNumPartitions(partitions).setReplicationFactor((short) rf);
        for (int p = 0; p < lists.size(); p++) {
            t.assignments().add(new CreatableReplicaAssignment().setPartitionIndex(p).setBrokerIds(lists.get(p)));
        }
        return t;
    }

    @Test
    public void badAssignmentsGetKafkasErrorCodes() throws Exception {
        try (RawClient c = new RawClient(server.port())) {
            CreateTopicsRequestData d = new CreateTopicsRequestData().setTimeoutMs(5000);
            d.topics().add(assigned("unknown-broker", -1, -1, List.of(List.of(7))));
            d.topics().add(assigned("duplicate", -1, -1, List.of(List.of(1, 1))));
            d.topics().add(assigned("uneven", -1, -1, List.of(List.of(1), List.of())));
            d.topics().add(assigned("with-count", 1, -1, List.of(List.of(1))));
            d.topics().add(assigned("with-rf", -1, 1, List.of(List.of(1))));
            CreatableTopic gap = assigned("gap", -1, -1, List.of(List.of(1)));
            gap.assignments().add(new CreatableReplicaAssignment().setPartitionIndex(2).setBrokerIds(List.of(1)));
            d.topics().add(gap);
            d.topics().add(assigned("rf-too-large", 1, 2, List.of()));
            c.send(ApiKeys.CREATE_TOPICS, (short) 7, 1, d);
            CreateTopicsResponseData r = c.receive(ApiKeys.CREATE_TOPICS, (short) 7, 1);
            assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), r.topics().find("unknown-broker").errorCode());
            assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), r.topics().find("duplicate").errorCode());
            assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), r.topics().find("uneven").errorCode());
            assertEquals(Errors.INVALID_REQUEST.code(), r.topics().find("with-count").errorCode());
            assertEquals("A manual partition assignment was specified, but replication factor was not set to -1.",
                    r.topics().find("with-rf").errorMessage());
            assertEquals(Errors.INVALID_REQUEST.code(), r.topics().find("with-rf").errorCode());
            assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), r.topics().find("gap").errorCode());
            assertEquals(Errors.INVALID_REPLICATION_FACTOR.code(), r.topics().find("rf-too-large").errorCode());
            for (String name : List.of("unknown-broker", "duplicate", "uneven", "with-count", "with-rf", "gap", "rf-too-large")) {
                assertEquals(name, true, cluster.topic(name).isEmpty());
            }

            // validateOnly checks the assignment too
            CreateTopicsRequestData v = new CreateTopicsRequestData().setTimeoutMs(5000).setValidateOnly(true);
            v.topics().add(assigned("v-bad", -1, -1, List.of(List.of(2))));
            v.topics().add(assigned("v-ok", -1, -1, List.of(List.of(1), List.of(1))));
            c.send(ApiKeys.CREATE_TOPICS, (short) 7, 2, v);
            CreateTopicsResponseData vr = c.receive(ApiKeys.CREATE_TOPICS, (short) 7, 2);
            assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), vr.topics().find("v-bad").errorCode());
            assertEquals(Errors.NONE.code(), vr.topics().find("v-ok").errorCode());
            assertEquals(2, vr.topics().find("v-ok").numPartitions());
            assertEquals(true, cluster.topic("v-ok").isEmpty());

            cluster.createTopic("grow", 1, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
            CreatePartitionsRequestData p = new CreatePartitionsRequestData().setTimeoutMs(5000);
            p.topics().add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName("grow").setCount(3)
                    .setAssignments(List.of(new CreatePartitionsRequestData.CreatePartitionsAssignment().setBrokerIds(List.of(1)))));
            c.send(ApiKeys.CREATE_PARTITIONS, (short) 3, 3, p);
            CreatePartitionsResponseData pr = c.receive(ApiKeys.CREATE_PARTITIONS, (short) 3, 3);
            assertEquals(Errors.INVALID_REPLICA_ASSIGNMENT.code(), pr.results().get(0).errorCode());
            assertEquals(1, cluster.topic("grow").get().partitions().size());
        }
    }

    @Test
    public void anAdminClientsAssignmentIsHonoured() throws Exception {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port());
        try (Admin admin = Admin.create(props)) {
            admin.createTopics(List.of(new NewTopic("manual", Map.of(0, List.of(1), 1, List.of(1)))))
                    .all().get(10, TimeUnit.SECONDS);
            admin.createPartitions(Map.of("manual", NewPartitions.increaseTo(3, List.of(List.of(1)))))
                    .all().get(10, TimeUnit.SECONDS);
            TopicDescription d = admin.describeTopics(List.of("manual")).allTopicNames().get(10, TimeUnit.SECONDS).get("manual");
            assertEquals(3, d.partitions().size());
            assertEquals(1, d.partitions().get(2).replicas().get(0).id());
        }
    }
}
