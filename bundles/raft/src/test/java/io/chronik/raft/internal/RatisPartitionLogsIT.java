package io.chronik.raft.internal;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.rules.TemporaryFolder;

import io.chronik.api.consensus.PartitionLogs;
import io.chronik.testing.PartitionLogsContract;

/** The {@link PartitionLogs} contract, run against the Ratis provider: one single-node {@link ChronikNode}. */
public class RatisPartitionLogsIT extends PartitionLogsContract {

    @ClassRule
    public static final TemporaryFolder TMP = new TemporaryFolder();

    private static ChronikNode node;

    @BeforeClass
    public static void startNode() throws Exception {
        node = TestNodes.start(TestNodes.single(TMP.newFolder().toPath(), TestNodes.freePort()));
    }

    @AfterClass
    public static void stopNode() {
        if (node != null) {
            node.stop();
        }
    }

    @Override
    protected PartitionLogs logs() {
        return node.replicas();
    }

    @Override
    protected void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
        node.metadata().createTopic(topic, partitions, 1, configs).toCompletableFuture().get(30, TimeUnit.SECONDS);
        for (int p = 0; p < partitions; p++) {
            TestNodes.awaitLeader(node, topic, p);
        }
    }

    @Override
    protected void deleteTopic(String topic) throws Exception {
        node.metadata().deleteTopic(topic).toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
