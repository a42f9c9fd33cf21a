package io.chronik.protocol.kafka.internal;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;

import io.chronik.api.consensus.PartitionLog;
import io.chronik.api.consensus.PartitionLogs;
import io.chronik.testing.PartitionLogsContract;

/**
 * The {@link PartitionLogs} contract, run against this bundle's {@link InMemoryCluster} test fake, so that the fake
 * the protocol tests rely on behaves as the Ratis provider does.
 */
public class InMemoryPartitionLogsTest extends PartitionLogsContract {

    private static final InMemoryCluster CLUSTER = new InMemoryCluster(1);

    @AfterClass
    public static void closeCluster() {
        CLUSTER.close();
    }

    @Override
    protected PartitionLogs logs() {
        return CLUSTER;
    }

    @Override
    protected void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
        CLUSTER.createTopic(topic, partitions, 1, configs).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Override
    protected void deleteTopic(String topic) throws Exception {
        CLUSTER.deleteTopic(topic).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Override
    protected boolean makeFollower(PartitionLog log) {
        ((InMemoryCluster.Log) log).setLeader(false);
        return true;
    }
}
