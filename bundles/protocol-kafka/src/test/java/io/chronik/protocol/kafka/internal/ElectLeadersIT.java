package io.chronik.protocol.kafka.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import org.apache.kafka.common.errors.PreferredLeaderNotAvailableException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;

import io.chronik.api.consensus.ElectionResult;

/** ElectLeaders through the real Java Admin client: every per-partition outcome and Kafka's error for each. */
public class ElectLeadersIT {
    private static InMemoryCluster cluster;
    private static KafkaServer server;
    private static Admin admin;
    private static final TopicPartition P0 = new TopicPartition("elect", 0);
    private static final TopicPartition P1 = new TopicPartition("elect", 1);

    @BeforeClass
    public static void start() throws Exception {
        cluster = new InMemoryCluster(1);
        server = new KafkaServer(ServerSettings.defaults("127.0.0.1:0"), () -> cluster, () -> cluster);
        server.start();
        cluster.setPort(server.port());
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + server.port());
        admin = Admin.create(p);
        cluster.createTopic("elect", 2, 1, Map.of()).toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @AfterClass
    public static void stop() {
        admin.close(Duration.ofSeconds(5));
        server.close();
        cluster.close();
    }

    private static Map<TopicPartition, Optional<Throwable>> elect(ElectionType type, Set<TopicPartition> partitions)
            throws Exception {
        return admin.electLeaders(type, partitions).partitions().get(30, TimeUnit.SECONDS);
    }

    @Test
    public void preferredElection() throws Exception {
        cluster.setElectionResult(ElectionResult.NOT_NEEDED);
        // all partitions: those that needed no election are left out, as Kafka does
        assertEquals(Map.of(), elect(ElectionType.PREFERRED, null));
        Map<TopicPartition, Optional<Throwable>> named = elect(ElectionType.PREFERRED, Set.of(P0));
        assertTrue(named.get(P0).orElseThrow() instanceof ElectionNotNeededException);

        cluster.setElectionResult(ElectionResult.ELECTED);
        assertEquals(Map.of(P0, Optional.empty(), P1, Optional.empty()), elect(ElectionType.PREFERRED, null));

        cluster.setElectionResult(ElectionResult.PREFERRED_NOT_AVAILABLE);
        assertTrue(elect(ElectionType.PREFERRED, Set.of(P1)).get(P1).orElseThrow() instanceof PreferredLeaderNotAvailableException);
    }

    @Test
    public void unknownPartitionsAreReportedPerPartition() throws Exception {
        cluster.setElectionResult(ElectionResult.ELECTED);
        TopicPartition noTopic = new TopicPartition("no-such-topic", 0);
        TopicPartition noPartition = new TopicPartition("elect", 5);
        Map<TopicPartition, Optional<Throwable>> r = elect(ElectionType.PREFERRED, Set.of(P0, noTopic, noPartition));
        assertEquals(Optional.empty(), r.get(P0));
        assertTrue(r.get(noTopic).orElseThrow() instanceof UnknownTopicOrPartitionException);
        assertTrue(r.get(noPartition).orElseThrow() instanceof UnknownTopicOrPartitionException);
    }

    @Test
    public void uncleanElectionIsNeverPerformed() throws Exception {
        TopicPartition noTopic = new TopicPartition("no-such-topic", 0);
        Map<TopicPartition, Optional<Throwable>> r = elect(ElectionType.UNCLEAN, Set.of(P0, noTopic));
        // the partition has a leader: no election needed (Raft never elects an out-of-date replica anyway)
        assertTrue(r.get(P0).orElseThrow() instanceof ElectionNotNeededException);
        assertTrue(r.get(noTopic).orElseThrow() instanceof UnknownTopicOrPartitionException);
    }
}
